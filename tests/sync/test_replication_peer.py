"""Replication with the peer as a partner: its own replicator, two laptops, live feeds."""

from __future__ import annotations

import asyncio
from typing import Any

from replication_helpers import MakeDb, seed_tricky, settled_doc_count, snapshot

from sync import replicate, sync
from sync.couch_server import CouchServer
from sync.database import Database
from sync.replication import ReplicationEvent, State


async def test_interop_with_the_servers_own_replicator(make_db: MakeDb, couch_url: str) -> None:
    """Written by Cunyi, copied by the server's replicator, pulled back by Cunyi: identical."""
    laptop = await make_db("embedded")
    first = await make_db("couch")
    second = await make_db("couch")
    fresh = await make_db("embedded")
    await seed_tricky(laptop, big_attachment=200_000)

    await replicate(laptop, first)
    async with CouchServer(couch_url) as server:
        answer = await server.replicate(f"{couch_url}/{first.name}", f"{couch_url}/{second.name}")
    assert answer.get("ok") is True
    await replicate(second, fresh)

    expected = await snapshot(laptop)
    assert await snapshot(second) == expected
    assert await snapshot(fresh) == expected


async def _everywhere(*dbs: Database) -> list[dict[str, Any]]:
    return [await snapshot(db) for db in dbs]


async def test_two_laptops_conflict_then_resolve_through_the_county(make_db: MakeDb) -> None:
    county = await make_db("couch")
    laptop1 = await make_db("embedded")
    laptop2 = await make_db("embedded")
    created = await laptop1.put({"_id": "matter:road", "title": "Repair the road"})
    await sync(laptop1, county)
    await sync(laptop2, county)

    # Offline, both secretaries edit the same matter.
    edit1 = await laptop1.put(
        {"_id": "matter:road", "_rev": created["rev"], "title": "Repair the road with gravel"}
    )
    edit2 = await laptop2.put(
        {"_id": "matter:road", "_rev": created["rev"], "title": "Repair the road with concrete"}
    )
    await sync(laptop1, county)
    await sync(laptop2, county)
    await sync(laptop1, county)

    snaps = await _everywhere(laptop1, county, laptop2)
    assert snaps[0] == snaps[1] == snaps[2]
    conflict = snaps[0]["matter:road"]
    assert set(conflict["leaves"]) == {edit1["rev"], edit2["rev"]}
    assert len(conflict["conflicts"]) == 1

    # Laptop 2 resolves: update the winner, delete the loser, in one bulk_docs.
    winner = await laptop2.get("matter:road", conflicts=True)
    (loser,) = winner.pop("_conflicts")
    merged = {**winner, "title": "Repair the road: gravel now, concrete next year"}
    results = await laptop2.bulk_docs(
        [merged, {"_id": "matter:road", "_rev": loser, "_deleted": True}]
    )
    assert all(r.get("ok") for r in results)
    await sync(laptop2, county)
    await sync(laptop1, county)

    snaps = await _everywhere(laptop1, county, laptop2)
    assert snaps[0] == snaps[1] == snaps[2]
    for db in (laptop1, county, laptop2):
        doc = await db.get("matter:road", conflicts=True)
        assert "_conflicts" not in doc
        assert doc["title"] == merged["title"]
        # No edit lost: both offline edits are still readable by revision.
        titles = {(await db.get("matter:road", rev=r["rev"]))["title"] for r in (edit1, edit2)}
        assert titles == {"Repair the road with gravel", "Repair the road with concrete"}


async def _continuous(source: Database, target: Database) -> None:
    written = asyncio.Event()
    states: list[State] = []

    async def on_event(event: ReplicationEvent) -> None:
        if event.kind == "state":
            states.append(event.state)
        if event.kind == "change" and event.counters.docs_written >= 2:
            written.set()

    await source.put({"_id": "before"})
    rep = replicate(source, target, continuous=True, heartbeat=0.3, on_event=on_event).start()
    # pouchdb-server ignores the longpoll timeout: the client renews the feed itself,
    # so a quiet spell longer than the heartbeat must not break the replication.
    while State.PAUSED not in states:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.8)
    await source.put({"_id": "while-live"})
    await asyncio.wait_for(written.wait(), 60)
    rep.cancel()
    await asyncio.wait_for(rep.wait(), 60)

    assert rep.state is State.CANCELLED
    assert (await target.get("while-live"))["_id"] == "while-live"
    assert states[0] is State.ACTIVE and states[-1] is State.CANCELLED
    assert rep.counters.retries == 0


async def test_continuous_pull_from_the_peer_until_cancelled(make_db: MakeDb) -> None:
    await _continuous(await make_db("couch"), await make_db("embedded"))


async def test_continuous_push_from_a_laptop_until_cancelled(make_db: MakeDb) -> None:
    await _continuous(await make_db("embedded"), await make_db("couch"))


async def test_cancel_stops_a_one_shot_replication_and_a_rerun_finishes(make_db: MakeDb) -> None:
    source = await make_db("embedded")
    target = await make_db("couch")
    await source.bulk_docs([{"_id": f"r{i:04}"} for i in range(600)])

    async def cancel_after_first_batch(event: ReplicationEvent) -> None:
        if event.kind == "change":
            rep.cancel()

    rep = replicate(source, target, batch_size=50, on_event=cancel_after_first_batch)
    await rep
    assert rep.state is State.CANCELLED
    copied = await settled_doc_count(target)
    # The write under way when cancel() came may have landed; it is counted if its answer
    # came before the run let go of it.
    assert 0 < rep.counters.docs_written <= copied < 600

    rest = await replicate(source, target, batch_size=50)
    assert rest.counters.docs_written == 600 - copied
    assert (await target.info())["doc_count"] == 600
