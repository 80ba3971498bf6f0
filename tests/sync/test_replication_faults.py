"""Replication when things go wrong: a flaky link, a wrong password, refused documents,
malformed answers. Each time the outcome must be clear and both databases consistent."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from faultproxy import FaultProxy
from replication_helpers import MakeDb, attachment, seed_tricky, snapshot

from sync import replicate, sync
from sync.couch import open_couch_database
from sync.couch_server import CouchServer
from sync.database import Database
from sync.errors import (
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PeerError,
    UnauthorizedError,
)
from sync.replication import ReplicationOptions, State, replication_id

ROOT = Path(__file__).resolve().parents[2]
# More retries than the proxy has faults in it: completion is then certain, not lucky.
FAST_RETRIES: dict[str, Any] = {"backoff_initial": 0.01, "backoff_max": 0.05, "retries": 30}


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", f":{password}@", 1)


async def proxied(make_db: MakeDb, proxy: FaultProxy) -> tuple[Database, Database]:
    """A new peer database, opened directly (to check it) and through ``proxy``."""
    direct = await make_db("couch")
    rate, proxy.fault_rate = proxy.fault_rate, 0.0
    through = await open_couch_database(f"{proxy.url}/{direct.name}", create=False)
    proxy.fault_rate = rate
    return direct, through


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["push", "pull"])
async def test_flaky_link_loses_nothing(make_db: MakeDb, couch_url: str, direction: str) -> None:
    async with FaultProxy(couch_url, seed=7, fault_rate=0.2, max_faults=25) as proxy:
        laptop = await make_db("embedded")
        county, county_via_proxy = await proxied(make_db, proxy)
        try:
            first = laptop if direction == "push" else county
            await seed_tricky(first, big_attachment=300_000)
            await first.bulk_docs([{"_id": f"record:{i:04}", "i": i} for i in range(150)])
            source, target = (
                (laptop, county_via_proxy) if direction == "push" else (county_via_proxy, laptop)
            )

            done = await replicate(source, target, batch_size=20, **FAST_RETRIES)

            assert done.state is State.COMPLETE
            assert sum(proxy.faults.values()) > 0
            assert done.counters.retries > 0
            assert await snapshot(laptop) == await snapshot(county)
        finally:
            await county_via_proxy.close()


async def test_wrong_password_stops_at_once_and_writes_nothing(
    make_db: MakeDb, couch_url: str
) -> None:
    laptop = await make_db("embedded")
    county = await make_db("couch")
    await laptop.bulk_docs([{"_id": f"r{i}"} for i in range(5)])
    await county.bulk_docs([{"_id": f"c{i}"} for i in range(5)])
    wrong = with_password(f"{couch_url}/{county.name}", "not-the-password")

    for source, target in ((laptop, wrong), (wrong, laptop)):
        rep = replicate(source, target, **FAST_RETRIES)
        with pytest.raises(UnauthorizedError) as caught:
            await rep
        assert str(caught.value.reason) == f"wrong credentials for {county.location}"
        assert "not-the-password" not in str(caught.value)
        assert rep.state is State.FAILED
        assert rep.counters.retries == 0

    both = sync(laptop, wrong)
    with pytest.raises(UnauthorizedError):
        await both
    assert (both.push.state, both.pull.state) == (State.FAILED, State.FAILED)

    assert await doc_ids(county) == {f"c{i}" for i in range(5)}
    assert await doc_ids(laptop) == {f"r{i}" for i in range(5)}
    for db in (laptop, county):
        assert not await _has_checkpoint(db, laptop, county)
        assert not await _has_checkpoint(db, county, laptop)


async def _has_checkpoint(db: Database, source: Database, target: Database) -> bool:
    rid = replication_id(source.location, target.location, ReplicationOptions())
    try:
        await db.get_local(f"_local/{rid}")
    except NotFoundError:
        return False
    return True


async def doc_ids(db: Database) -> set[str]:
    return {row["id"] for row in (await db.all_docs())["rows"]}


async def assert_contains(target: Database, source: Database) -> None:
    """Every document of ``source`` is on ``target``, with the same leaves and winner."""
    theirs, ours = await snapshot(target), await snapshot(source)
    assert {docid: theirs.get(docid) for docid in ours} == ours


async def test_wrong_password_on_the_command_line(make_db: MakeDb, couch_url: str) -> None:
    laptop = await make_db("embedded")
    await laptop.put({"_id": "record:1"})
    county = await make_db("couch")
    wrong = with_password(f"{couch_url}/{county.name}", "nope")
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "village_app.cli",
        "replicate",
        laptop.location,
        wrong,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 1
    assert f"wrong credentials for {county.location}" in err.decode()
    assert "nope" not in (out + err).decode()
    assert (await county.info())["doc_count"] == 0


async def test_refused_documents_are_denied_and_the_rest_replicates(
    make_db: MakeDb, couch_url: str
) -> None:
    laptop = await make_db("embedded")
    county = await make_db("couch")
    async with CouchServer(couch_url) as server:
        await server.put_design(
            county.name,
            {
                "_id": "_design/guard",
                "validate_doc_update": "function (doc) { if (doc.secret) "
                "{ throw({forbidden: 'no secrets in the county database'}); } }",
            },
        )
    # Documents with attachments travel as multipart/related, one request each: refused
    # there, they are denied all the same.
    scan = {"p.jpg": attachment(5_000, 3, "image/jpeg")}
    await laptop.bulk_docs(
        [{"_id": f"ok{i}", "i": i} for i in range(6)]
        + [{"_id": "bad1", "secret": True}, {"_id": "bad2", "secret": True}]
        + [{"_id": "ok-scan", "_attachments": scan}]
        + [{"_id": "bad-scan", "secret": True, "_attachments": scan}]
    )

    done = await replicate(laptop, county, batch_size=3)

    assert done.state is State.COMPLETE
    assert sorted(d.docid for d in done.denied) == ["bad-scan", "bad1", "bad2"]
    assert all(d.error == "forbidden" and "no secrets" in d.reason for d in done.denied)
    assert (done.counters.docs_written, done.counters.docs_denied) == (7, 3)
    assert done.counters.attachments_written == 1
    with pytest.raises(NotFoundError):
        await county.get("bad1")
    with pytest.raises(NotFoundError):
        await county.get("bad-scan")
    data, _ = await county.get_attachment("ok-scan", "p.jpg")
    assert base64.b64encode(data).decode() == scan["p.jpg"]["data"]


@pytest.mark.parametrize(
    ("fragment", "body"),
    [
        ("/_revs_diff", b'{"someone-else": {"missing": ["1-abc"]}}'),
        ("/_bulk_get", b'{"results": [{"id": '),
        ("/_changes", b'{"results": [{"id": "x", "seq": 1, "changes": "1-x"}], "last_seq": 1}'),
    ],
    ids=["revs_diff", "bulk_get", "changes"],
)
async def test_malformed_answers_fail_clearly_and_keep_both_sides_consistent(
    make_db: MakeDb, couch_url: str, fragment: str, body: bytes
) -> None:
    laptop = await make_db("embedded")
    async with FaultProxy(couch_url, seed=1, fault_rate=0.0) as proxy:
        county, via_proxy = await proxied(make_db, proxy)
        await county.bulk_docs(
            [{"_id": f"c{i}", "_attachments": {"a": attachment(100, i)}} for i in range(5)]
        )
        await laptop.bulk_docs([{"_id": f"l{i}"} for i in range(5)])
        proxy.answers[fragment] = body
        source, target = (laptop, via_proxy) if fragment == "/_revs_diff" else (via_proxy, laptop)
        before = await doc_ids(county), await doc_ids(laptop)
        try:
            rep = replicate(source, target, **FAST_RETRIES)
            with pytest.raises(PeerError) as caught:
                await rep
        finally:
            await via_proxy.close()
    assert "malformed" in str(caught.value) or "unexpected answer" in str(caught.value)
    assert rep.state is State.FAILED and rep.counters.retries == 0
    # Nothing half-done: no document and no checkpoint written...
    assert (await doc_ids(county), await doc_ids(laptop)) == before
    assert not await _has_checkpoint(laptop, laptop, county)
    assert not await _has_checkpoint(laptop, county, laptop)
    # ...and a clean rerun completes the copy.
    clean_source, clean_target = (laptop, county) if source is laptop else (county, laptop)
    again = await replicate(clean_source, clean_target)
    assert again.state is State.COMPLETE
    await assert_contains(clean_target, clean_source)


async def test_no_write_access_fails_the_replication_before_its_checkpoint(
    make_db: MakeDb, couch_url: str
) -> None:
    # validate_doc_update refusals come per document; a 403 for the whole _bulk_docs is a
    # database the account may not write. Counting every revision "denied" and moving the
    # checkpoint past them would lose them for good once the access is granted.
    laptop = await make_db("embedded")
    await laptop.bulk_docs([{"_id": f"record:{i}"} for i in range(5)])
    refusal = b'{"error":"forbidden","reason":"You are not allowed to access this db."}'
    async with FaultProxy(
        couch_url, seed=1, fault_rate=0.0, answers={"/_bulk_docs": (403, refusal)}
    ) as proxy:
        county, via_proxy = await proxied(make_db, proxy)
        try:
            rep = replicate(laptop, via_proxy, **FAST_RETRIES)
            with pytest.raises(ForbiddenError) as caught:
                await rep
        finally:
            await via_proxy.close()
    assert rep.state is State.FAILED and rep.counters.docs_denied == 0
    assert f"no write access to {via_proxy.location}" in str(caught.value)
    assert not await _has_checkpoint(county, laptop, via_proxy)
    assert not await _has_checkpoint(laptop, laptop, via_proxy)
    again = await replicate(laptop, county)
    assert again.counters.docs_written == 5


async def test_a_fetched_revision_without_its_history_fails_the_replication(
    make_db: MakeDb, couch_url: str
) -> None:
    # Stored without _revisions, 2-x would be a root of its own on the laptop: a conflict
    # with 1-y that nobody made. The answer is malformed; nothing may be written.
    laptop = await make_db("embedded")
    async with FaultProxy(couch_url, seed=1, fault_rate=0.0) as proxy:
        county, via_proxy = await proxied(make_db, proxy)
        second = await _second_revision(county)
        proxy.answers["/_bulk_get"] = _bulk_get_answer(
            {"ok": {"_id": "matter:1", "_rev": second, "n": 2}}
        )
        try:
            rep = replicate(via_proxy, laptop, **FAST_RETRIES)
            with pytest.raises(PeerError, match="_revisions"):
                await rep
        finally:
            await via_proxy.close()
    assert rep.state is State.FAILED
    assert await doc_ids(laptop) == set()


async def _second_revision(county: Database) -> str:
    """``matter:1`` at its second revision, which a pull fetches with ``_bulk_get``."""
    first = await county.put({"_id": "matter:1", "n": 1})
    return str((await county.put({"_id": "matter:1", "_rev": first["rev"], "n": 2}))["rev"])


def _bulk_get_answer(entry: dict[str, object]) -> bytes:
    return json.dumps({"results": [{"id": "matter:1", "docs": [entry]}]}).encode()


async def test_a_database_the_account_may_not_use_is_named_in_the_error(
    make_db: MakeDb, couch_url: str
) -> None:
    laptop = await make_db("embedded")
    county = await make_db("couch")
    # CouchDB answers a HEAD by a non-member with a bare 403: no body says why.
    async with FaultProxy(
        couch_url, seed=1, fault_rate=0.0, answers={f"/{county.name}": (403, b"")}
    ) as proxy:
        rep = replicate(laptop, f"{proxy.url}/{county.name}", **FAST_RETRIES)
        with pytest.raises(ForbiddenError) as caught:
            await rep
    assert caught.value.reason == f"no access to http://127.0.0.1:{proxy.port}/{county.name}"
    assert rep.state is State.FAILED and rep.counters.retries == 0


async def test_a_revision_the_source_cannot_give_now_is_retried_not_skipped(
    make_db: MakeDb, couch_url: str
) -> None:
    # A CouchDB cluster answers _bulk_get per document; a shard that timed out gives
    # {"error": "timeout"} for that revision. Skipping it as if it were gone would move
    # the checkpoint past a revision the laptop never got.
    laptop = await make_db("embedded")
    async with FaultProxy(couch_url, seed=1, fault_rate=0.0) as proxy:
        county, via_proxy = await proxied(make_db, proxy)
        second = await _second_revision(county)
        proxy.answers["/_bulk_get"] = _bulk_get_answer(
            {
                "error": {
                    "id": "matter:1",
                    "rev": second,
                    "error": "timeout",
                    "reason": "a shard did not answer",
                }
            }
        )
        try:
            rep = replicate(via_proxy, laptop, backoff_initial=0.01, backoff_max=0.02, retries=2)
            with pytest.raises(PeerError, match="a shard did not answer"):
                await rep
            assert rep.state is State.FAILED and rep.counters.retries == 2
            assert not await _has_checkpoint(laptop, via_proxy, laptop)
            del proxy.answers["/_bulk_get"]
            again = await replicate(via_proxy, laptop)
        finally:
            await via_proxy.close()
    assert again.counters.docs_written == 1
    assert (await laptop.get("matter:1"))["_rev"] == second


async def test_a_checkpoint_write_that_fails_while_every_batch_waits_on_it_is_retried(
    make_db: MakeDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One worker may start two batches before they are checkpointed: the third waits
    # for a checkpoint. The second write of the target's log (the first is at once,
    # later ones wait for more batches to join them) breaks, at that moment. Before, that error waited for the next batch to be recorded, which the
    # waiting worker never finished: the run hung, as under the fault proxy in CI.
    laptop = await make_db("embedded")
    county = await make_db("embedded")
    await laptop.bulk_docs([{"_id": f"record:{i}", "i": i} for i in range(6)])
    put_local = county.put_local
    calls: list[str] = []

    async def breaks_once(doc: Any) -> Any:
        calls.append(doc["_id"])
        if len(calls) == 2:
            raise NetworkError("the link dropped while the checkpoint was written")
        return await put_local(doc)

    monkeypatch.setattr(county, "put_local", breaks_once)

    rep = replicate(laptop, county, batch_size=1, workers=1, **FAST_RETRIES)
    await asyncio.wait_for(rep.wait(), 30)  # a hang fails here, not at the suite's timeout

    assert len(calls) > 2 and rep.state is State.COMPLETE
    assert rep.counters.retries == 1
    assert await snapshot(county) == await snapshot(laptop)


async def test_the_bytes_of_a_scan_are_counted_while_it_goes(
    make_db: MakeDb, couch_url: str
) -> None:
    # A scan's request caught between the last byte sent and the county's answer: the
    # bytes are counted already (the 同步 page shows the upload moving), the record not yet.
    async with FaultProxy(couch_url, seed=1, fault_rate=0.0) as proxy:
        laptop = await make_db("embedded")
        county, county_via_proxy = await proxied(make_db, proxy)
        try:
            scan = attachment(600_000, 1, "image/jpeg")
            await laptop.put({"_id": "scan:1", "_attachments": {"p.jpg": scan}})
            proxy.hold = "/scan"
            rep = replicate(laptop, county_via_proxy).start()
            await asyncio.wait_for(proxy.holding.wait(), 30)

            async def counted() -> None:
                while (rep.counters.bytes_sent or 0) < 600_000:
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(counted(), 10)  # refreshed every 0.5 s
            assert rep.counters.docs_written == 0 and rep.state is State.ACTIVE
            proxy.release.set()
            await rep.wait()

            assert rep.counters.docs_written == 1
            assert 600_000 < (rep.counters.bytes_sent or 0) < 700_000
            assert await snapshot(county) == await snapshot(laptop)
        finally:
            await county_via_proxy.close()
