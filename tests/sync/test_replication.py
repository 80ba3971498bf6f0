"""One replication suite over every pair of stores, in both directions.

Each ordered pair (source kind, target kind) of ``embedded`` and ``couch``
replicates the same tricky database: conflicts, deleted branches, a deleted
document, a design document, binary attachments up to 2 MB and a ``_local``
document. Afterwards both sides must agree on every leaf (body, history,
attachment bytes), winner and conflict list, and a second run must transfer
nothing.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from replication_helpers import MakeDb, attachment, seed_tricky, snapshot

from sync import replicate, sync
from sync.couch import CouchDatabase
from sync.errors import NotFoundError
from sync.replication import ReplicationEvent, ReplicationOptions, State, replication_id

PAIRS = [(s, t) for s in ("embedded", "couch") for t in ("embedded", "couch")]


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS, ids=lambda k: k)
async def test_every_pair(make_db: MakeDb, source_kind: str, target_kind: str) -> None:
    source = await make_db(source_kind)
    target = await make_db(target_kind)
    await seed_tricky(source)
    await target.put_local({"_id": "_local/target-own", "keep": True})
    events: list[ReplicationEvent] = []

    async def on_event(event: ReplicationEvent) -> None:
        events.append(event)

    first = await replicate(source, target, batch_size=7, on_event=on_event)

    assert first.state is State.COMPLETE
    assert await snapshot(target) == await snapshot(source)
    # 35 docs: 30 plain, 3 with hand-made histories, 1 design, 1 with attachments;
    # the conflict and the deleted branch bring one more leaf each.
    assert first.counters.changes_read == 35
    assert first.counters.docs_written == first.counters.docs_read == 37
    assert first.counters.docs_denied == 0
    assert [e.state for e in events if e.kind == "state"] == [State.ACTIVE, State.COMPLETE]
    # Traffic is known where a side speaks HTTP.
    if "couch" in (source_kind, target_kind):
        assert (
            first.counters.requests and first.counters.bytes_sent and first.counters.bytes_received
        )
    else:
        assert first.counters.requests is None
    assert sum(e.kind == "change" for e in events) == first.counters.batches >= 35 // 7
    # _local documents stay where they are.
    with pytest.raises(NotFoundError):
        await target.get_local("_local/laptop-settings")
    assert (await target.get_local("_local/target-own"))["keep"] is True
    # The checkpoint is on both sides, in CouchDB's replication-log shape.
    for side in (source, target):
        log = await side.get_local(f"_local/{first.replication_id}")
        assert log["source_last_seq"] == first.counters.last_seq
        assert log["history"][0]["docs_written"] == 37

    second = await replicate(source, target, batch_size=7)
    assert second.replication_id == first.replication_id
    assert (second.counters.changes_read, second.counters.docs_read) == (0, 0)
    assert second.counters.docs_written == 0


@pytest.mark.parametrize(("a_kind", "b_kind"), [("embedded", "couch"), ("couch", "embedded")])
async def test_sync_both_ways_merges_and_tags_directions(
    make_db: MakeDb, a_kind: str, b_kind: str
) -> None:
    a = await make_db(a_kind)
    b = await make_db(b_kind)
    await a.bulk_docs([{"_id": f"a{i}", "side": "a"} for i in range(5)])
    await b.bulk_docs([{"_id": f"b{i}", "side": "b"} for i in range(3)])
    directions: set[str | None] = set()

    async def on_event(event: ReplicationEvent) -> None:
        directions.add(event.direction)

    both = await sync(a, b, on_event=on_event)

    assert both.state is State.COMPLETE
    assert (both.push.counters.docs_written, both.pull.counters.docs_written) == (5, 3)
    assert directions == {"push", "pull"}
    assert await snapshot(a) == await snapshot(b)


async def test_new_edits_on_both_sides_meet_as_a_conflict(make_db: MakeDb) -> None:
    a = await make_db("embedded")
    b = await make_db("couch")
    created = await a.put({"_id": "matter:1", "title": "road"})
    await replicate(a, b)
    await a.put({"_id": "matter:1", "_rev": created["rev"], "title": "road, paved"})
    await b.put({"_id": "matter:1", "_rev": created["rev"], "title": "road, gravel"})

    await sync(a, b)

    snap_a, snap_b = await snapshot(a), await snapshot(b)
    assert snap_a == snap_b
    assert len(snap_a["matter:1"]["conflicts"]) == 1
    assert all(r.startswith("2-") for r in snap_a["matter:1"]["leaves"])


async def test_doc_ids_option(make_db: MakeDb) -> None:
    source = await make_db("couch")
    target = await make_db("embedded")
    await source.bulk_docs([{"_id": f"d{i}"} for i in range(10)])

    done = await replicate(source, target, doc_ids=["d3", "d7", "nope"])

    assert done.counters.docs_written == 2
    assert {r["id"] for r in (await target.all_docs())["rows"]} == {"d3", "d7"}


@pytest.mark.parametrize("source_kind", ["couch", "embedded"])
async def test_selector_replicates_only_matching_winners(make_db: MakeDb, source_kind: str) -> None:
    """The kiosk pulls published documents only: by the server's ``_selector`` filter where
    it has one (embedded; CouchDB), otherwise filtered here (pouchdb-server)."""
    source = await make_db(source_kind)
    kiosk = await make_db("embedded")
    await source.bulk_docs(
        [{"_id": f"pub{i}", "published": True} for i in range(4)]
        + [{"_id": f"draft{i}", "published": False} for i in range(3)]
    )

    done = await replicate(source, kiosk, selector={"published": True}, batch_size=3)

    assert done.state is State.COMPLETE
    assert {r["id"] for r in (await kiosk.all_docs())["rows"]} == {f"pub{i}" for i in range(4)}
    again = await replicate(source, kiosk, selector={"published": True}, batch_size=3)
    assert again.counters.docs_written == 0


async def test_a_target_log_alone_counts_only_while_the_source_takes_no_log(
    make_db: MakeDb,
) -> None:
    # A log left by a run from a read-only source of this name says it got past everything
    # this source holds; but this source takes a log and has none: it is a new database
    # (its sequences mean nothing to that log), so everything is compared again.
    source = await make_db("embedded")
    target = await make_db("embedded")
    await source.bulk_docs([{"_id": f"r{i}"} for i in range(5)])
    rid = replication_id(source.location, target.location, ReplicationOptions())
    last = (await source.changes())["last_seq"]
    await target.put_local(
        {
            "_id": f"_local/{rid}",
            "session_id": "old",
            "source_last_seq": last,
            "source_read_only": True,
            "history": [{"session_id": "old", "recorded_seq": last}],
        }
    )

    done = await replicate(source, target)

    assert done.counters.docs_written == 5
    assert (await source.get_local(f"_local/{rid}"))["source_last_seq"] == done.counters.last_seq


async def test_each_half_of_a_sync_counts_only_its_own_traffic(make_db: MakeDb) -> None:
    laptop = await make_db("embedded")
    county = await make_db("couch")
    assert isinstance(county, CouchDatabase)
    await laptop.bulk_docs([{"_id": f"l{i}", "i": i} for i in range(40)])
    await county.bulk_docs([{"_id": f"c{i}", "i": i} for i in range(40)])
    before = county.stats.requests, county.stats.bytes_sent

    both = await sync(laptop, county, batch_size=10)

    push, pull = both.push.counters, both.pull.counters
    assert push.requests and pull.requests and push.bytes_sent and pull.bytes_sent
    # The halves share the county's client; each request is counted by one of them only.
    assert push.requests + pull.requests == county.stats.requests - before[0]
    assert push.bytes_sent + pull.bytes_sent == county.stats.bytes_sent - before[1]
    assert push.bytes_sent > pull.bytes_sent  # the push sent the documents


async def test_a_batch_ends_early_when_its_attachments_grow_large(make_db: MakeDb) -> None:
    # The feed's stubs say how much each document's attachments weigh; a batch of a
    # hundred scans would be held in memory whole, so it is cut short (at any row's seq).
    county = await make_db("couch")
    laptop = await make_db("embedded")
    await county.bulk_docs(
        [{"_id": f"scan:{i}", "_attachments": {"p.jpg": attachment(30_000, i)}} for i in range(6)]
    )

    done = await replicate(county, laptop, max_batch_attachment_bytes=70_000)

    assert done.counters.batches == 6 and done.counters.docs_written == 6
    assert await snapshot(laptop) == await snapshot(county)


async def test_a_batch_of_large_bodies_is_written_in_several_requests(
    make_db: MakeDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No attachments at all: the bodies alone (8 x ~300 KB) would make one 2.4 MB _bulk_docs.
    laptop = await make_db("embedded")
    county = await make_db("couch")
    assert isinstance(county, CouchDatabase)
    await laptop.bulk_docs(
        [{"_id": f"minutes:{i}", "text": "议" * 100_000, "i": i} for i in range(8)]
    )
    bodies: list[tuple[int, int]] = []  # (bytes, documents) of each _bulk_docs
    send = county._http.request

    async def counted(method: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("/_bulk_docs"):
            body = kwargs["body"]
            bodies.append((len(body), len(json.loads(body)["docs"])))
        return await send(method, path, **kwargs)

    monkeypatch.setattr(county._http, "request", counted)
    county.max_request_bytes = 1_000_000

    done = await replicate(laptop, county, batch_size=100)

    assert done.counters.batches == 1 and done.counters.docs_written == 8
    assert [docs for _, docs in bodies] == [3, 3, 2]
    assert max(size for size, _ in bodies) <= 1_000_100
    assert await snapshot(county) == await snapshot(laptop)


def _slow_answers(
    monkeypatch: pytest.MonkeyPatch,
    county: CouchDatabase,
    slow: Callable[[str, str], bool],
    seconds: float,
) -> None:
    """The answers of ``county`` to the requests ``slow(method, path)`` picks come
    ``seconds`` late: a server that takes its time."""
    send = county._http.request

    async def late(method: str, path: str, **kwargs: Any) -> Any:
        answer = await send(method, path, **kwargs)
        if slow(method, path):
            await asyncio.sleep(seconds)
        return answer

    monkeypatch.setattr(county._http, "request", late)


async def test_traffic_is_counted_while_a_batch_is_still_being_written(
    make_db: MakeDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One batch written in six requests to a slow server: the bytes already sent show
    # before the batch is done (a village's batch of scans takes minutes on its link).
    laptop = await make_db("embedded")
    county = await make_db("couch")
    assert isinstance(county, CouchDatabase)
    rng = random.Random(6)  # text that gzip cannot shrink much: about 55 KB a record sent
    await laptop.bulk_docs(
        [
            {
                "_id": f"minutes:{i}",
                "text": "".join(chr(0x4E00 + rng.randrange(20_000)) for _ in range(30_000)),
            }
            for i in range(6)
        ]
    )
    county.max_request_bytes = 100_000
    _slow_answers(monkeypatch, county, lambda method, path: path.endswith("/_bulk_docs"), 0.4)
    rep = replicate(laptop, county).start()
    seen_mid_batch = 0
    while rep.state in (State.PENDING, State.ACTIVE):
        if rep.counters.docs_written == 0:
            seen_mid_batch = max(seen_mid_batch, rep.counters.bytes_sent or 0)
        await asyncio.sleep(0.05)
    await rep.wait()

    assert rep.counters.docs_written == 6
    assert seen_mid_batch > 100_000  # more than one request's worth, before any was counted


async def test_records_with_scans_are_counted_as_each_lands(
    make_db: MakeDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One batch: three plain records and eight with a scan each, to a slow server. The
    # secretary sees 已发送 move while the batch is still going, not 0 until it ends.
    laptop = await make_db("embedded")
    county = await make_db("couch")
    assert isinstance(county, CouchDatabase)
    await laptop.bulk_docs([{"_id": f"plain:{i}", "i": i} for i in range(3)])
    await laptop.bulk_docs(
        [
            {"_id": f"scan:{i}", "_attachments": {"p.jpg": attachment(40_000, i, "image/jpeg")}}
            for i in range(8)
        ]
    )
    _slow_answers(
        monkeypatch, county, lambda method, path: method == "PUT" and "/scan" in path, 0.3
    )
    rep = replicate(laptop, county).start()
    counts_mid_batch: set[int] = set()
    while rep.state in (State.PENDING, State.ACTIVE):
        if rep.counters.batches == 0:
            counts_mid_batch.add(rep.counters.docs_written)
        await asyncio.sleep(0.02)
    await rep.wait()

    assert rep.counters.batches == 1
    assert (rep.counters.docs_written, rep.counters.attachments_written) == (11, 8)
    # Four at a time: at least one count between none and all while the batch went on.
    assert any(0 < n < 11 for n in counts_mid_batch), counts_mid_batch
    assert await snapshot(county) == await snapshot(laptop)
