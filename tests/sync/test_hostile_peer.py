"""The replicator against a hostile or broken peer (a fake CouchDB on 127.0.0.1, see
``hostilepeer.py``): answers without end, answers that never finish, answers that are
not what was asked. Each time the run ends with a named error, memory bounded, nothing
written or checkpointed that should not be."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hostilepeer import (
    ROW,
    Exchange,
    HostilePeer,
    answer,
    endless,
    rev,
    revisions,
    trickle,
)

from sync import replicate
from sync.couch import CouchDatabase, open_couch_database
from sync.embedded import open_embedded_database
from sync.errors import AnswerTooLargeError, DeadlineError, NotFoundError, PeerError
from sync.replication import ReplicationOptions, State, replication_id

MiB = 1024 * 1024
ONCE: dict[str, Any] = {"retries": 0}


@pytest.fixture
async def peer() -> AsyncIterator[HostilePeer]:
    async with HostilePeer() as fake:
        yield fake


@pytest.fixture
async def laptop(tmp_path: Path) -> AsyncIterator[Any]:
    db = await open_embedded_database(str(tmp_path / "laptop.sqlite"))
    yield db
    await db.close()


async def _source(peer: HostilePeer, **kwargs: Any) -> CouchDatabase:
    return await open_couch_database(peer.url, create=False, **kwargs)


async def _doc_ids(db: Any) -> list[str]:
    return [row["id"] for row in (await db.all_docs())["rows"]]


async def _checkpoint(laptop: Any, source: CouchDatabase) -> Any:
    rep_id = replication_id(source.location, laptop.location, ReplicationOptions())
    try:
        return (await laptop.get_local(f"_local/{rep_id}"))["source_last_seq"]
    except NotFoundError:
        return None


# -- 1. answers without end ----------------------------------------------------


async def test_an_endless_changes_feed_fails_clearly_in_bounded_memory(
    peer: HostilePeer, laptop: Any
) -> None:
    # A 1.5 GB _changes answer once took the CLI to 6.2 GB: every answer is read as a
    # stream and given up past a bound, the connection closed under the peer's feet.
    peer.add_docs(3)
    peer.on["_changes"] = endless(b'{"results":[', ROW, most=200 * MiB)
    source = await _source(peer, max_answer_bytes=1 * MiB)
    tracemalloc.start()
    try:
        rep = replicate(source, laptop, **ONCE)
        with pytest.raises(AnswerTooLargeError) as caught:
            await asyncio.wait_for(rep.wait(), 120)  # a guard against a hang, not a measure
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await source.close()
    assert "answer too large" in str(caught.value) and "_changes" in str(caught.value)
    assert peer.hung_up.is_set()  # the client stopped reading; the peer did not stop sending
    assert peer.streamed < 200 * MiB
    assert peak < 24 * MiB
    assert rep.state is State.FAILED and rep.counters.retries == 0
    assert await _doc_ids(laptop) == []
    assert await _checkpoint(laptop, source) is None


async def test_pages_and_fetches_too_large_for_one_answer_are_made_smaller(
    peer: HostilePeer, laptop: Any
) -> None:
    # Big documents from a peer that is only honest: the feed is read again without the
    # bodies, and _bulk_get split in halves (as CouchDB's replicator splits a request too
    # large), until each answer fits; the copy completes.
    for i in range(12):
        peer.put({"_id": f"big:{i:02}", "_rev": rev(1, f"big{i}"), "text": "村" * 40_000})
    source = await _source(peer, max_answer_bytes=300_000)
    try:
        done = await replicate(source, laptop, batch_size=4, **ONCE)
    finally:
        await source.close()
    assert done.state is State.COMPLETE and done.counters.docs_written == 12
    assert sorted(await _doc_ids(laptop)) == sorted(peer.docs)
    feeds = peer.seen("_changes")
    assert feeds[0].query.get("include_docs") == "true"
    assert any("include_docs" not in f.query for f in feeds[1:])
    assert len(peer.seen("_bulk_get")) > 12 // 4


async def test_one_revision_too_large_for_any_answer_is_named(
    peer: HostilePeer, laptop: Any
) -> None:
    peer.put({"_id": "huge", "_rev": rev(1, "huge"), "text": "x" * 400_000})
    source = await _source(peer, max_answer_bytes=300_000)
    try:
        rep = replicate(source, laptop, **ONCE)
        with pytest.raises(AnswerTooLargeError, match="huge"):
            await rep
    finally:
        await source.close()
    assert await _checkpoint(laptop, source) is None


# -- 2. answers that never finish ------------------------------------------------


def _trickled_head() -> Any:
    async def behaviour(ex: Exchange) -> None:
        ex.peer.stalled.set()
        ex.writer.write(b"HTTP/1.1 200 OK\r\n")
        with_hangup = asyncio.ensure_future(ex.until_hangup())
        try:
            while not with_hangup.done():
                ex.writer.write(b"X")
                await ex.writer.drain()
                await asyncio.wait({with_hangup}, timeout=0.2)
        finally:
            with_hangup.cancel()
        ex.peer.hung_up.set()

    return behaviour


@pytest.mark.parametrize("stall", ["body", "head"])
async def test_a_trickling_peer_meets_an_overall_deadline(
    peer: HostilePeer, laptop: Any, stall: str
) -> None:
    # One byte every 0.2 s never trips a read timeout of 1 s: only a deadline on the
    # whole request ends it.
    peer.add_docs(3)
    peer.on["_changes"] = trickle(b'{"results":[') if stall == "body" else _trickled_head()
    source = await _source(peer, timeout=1.0)
    try:
        rep = replicate(source, laptop, **ONCE)
        with pytest.raises(DeadlineError) as caught:
            await asyncio.wait_for(rep.wait(), 120)  # a guard against a hang
    finally:
        await source.close()
    assert "no complete answer in time" in str(caught.value)
    assert peer.hung_up.is_set()
    assert rep.state is State.FAILED


async def test_cancel_ends_a_request_that_never_finishes(peer: HostilePeer, laptop: Any) -> None:
    peer.add_docs(3)
    peer.on["_changes"] = trickle(b'{"results":[')
    rep = replicate(peer.url, laptop).start()
    await asyncio.wait_for(peer.stalled.wait(), 60)
    rep.cancel()
    await asyncio.wait_for(rep.wait(), 60)  # a guard against a hang
    assert rep.state is State.CANCELLED
    # Ended by the cancel in the middle of the answer, not by the answer's end.
    await asyncio.wait_for(peer.hung_up.wait(), 60)
    assert len(peer.seen("_changes")) == 1


# -- 3. answers that are not what was asked -------------------------------------

ASKED = rev(1, "asked")
OTHER = rev(7, "other")


def _doc(rev_: str, history: list[str], docid: str = "doc:0000") -> dict[str, Any]:
    return {"_id": docid, "_rev": rev_, "_revisions": revisions(*history), "n": 0}


def _descendant() -> list[str]:
    """A history from ``OTHER`` (generation 7) down to ``ASKED`` (generation 1)."""
    return [OTHER, *(rev(g, f"mid{g}") for g in range(6, 1, -1)), ASKED]


BULK_GET_LIES = {
    "another revision": {"results": [{"id": "doc:0000", "docs": [{"ok": _doc(OTHER, [OTHER])}]}]},
    "a descendant never asked for": {
        "results": [{"id": "doc:0000", "docs": [{"ok": _doc(OTHER, _descendant())}]}]
    },
    "another document": {
        "results": [{"id": "doc:0000", "docs": [{"ok": _doc(ASKED, [ASKED], "intruder")}]}]
    },
    "another id": {
        "results": [{"id": "intruder", "docs": [{"ok": _doc(ASKED, [ASKED], "intruder")}]}]
    },
    "an error for another revision": {
        "results": [
            {
                "id": "doc:0000",
                "docs": [
                    {
                        "error": {
                            "id": "doc:0000",
                            "rev": OTHER,
                            "error": "not_found",
                            "reason": "missing",
                        }
                    }
                ],
            }
        ]
    },
    "nothing": {"results": []},
}


def _asked_for(peer: HostilePeer) -> None:
    peer.feed_bodies = False  # so that the revision is fetched, not taken from the feed
    peer.put({"_id": "doc:0000", "_rev": ASKED, "n": 0})


@pytest.mark.parametrize("lie", list(BULK_GET_LIES))
async def test_a_bulk_get_answer_that_is_not_what_was_asked_is_refused(
    peer: HostilePeer, laptop: Any, lie: str
) -> None:
    # 7-bbb for 1-aaa asked was written and checkpointed: the target would believe it
    # holds 1-aaa's document and never ask for it again.
    _asked_for(peer)
    peer.on["_bulk_get"] = answer(200, BULK_GET_LIES[lie])
    source = await _source(peer)
    try:
        rep = replicate(source, laptop, **ONCE)
        with pytest.raises(PeerError) as caught:
            await rep
    finally:
        await source.close()
    assert "_bulk_get" in str(caught.value)
    assert rep.state is State.FAILED and rep.counters.retries == 0
    assert await _doc_ids(laptop) == []
    assert await _checkpoint(laptop, source) is None


OPEN_REVS_LIES = {
    "another revision": [{"ok": _doc(OTHER, [OTHER])}],
    "another document": [{"ok": _doc(ASKED, [ASKED], "intruder")}],
    "a missing entry for another revision": [{"missing": OTHER}],
}


@pytest.mark.parametrize("lie", list(OPEN_REVS_LIES))
@pytest.mark.parametrize("no_bulk_get", [404, 501])
async def test_an_open_revs_answer_that_is_not_what_was_asked_is_refused(
    peer: HostilePeer, laptop: Any, lie: str, no_bulk_get: int
) -> None:
    # Without _bulk_get (404: the store falls back itself; 501: the replicator does,
    # asking with latest=true) revisions come from GET ?open_revs=[...].
    _asked_for(peer)
    peer.on["_bulk_get"] = answer(no_bulk_get, {"error": "not_found", "reason": "no _bulk_get"})
    peer.on["doc"] = answer(200, OPEN_REVS_LIES[lie])
    source = await _source(peer)
    try:
        rep = replicate(source, laptop, **ONCE)
        with pytest.raises(PeerError) as caught:
            await rep
    finally:
        await source.close()
    assert "open_revs" in str(caught.value)
    assert peer.seen("doc")
    assert await _doc_ids(laptop) == []
    assert await _checkpoint(laptop, source) is None


async def test_open_revs_with_latest_may_answer_a_descendant_of_what_was_asked(
    peer: HostilePeer, laptop: Any
) -> None:
    # latest=true asks for the leaf the revision led to (CouchDB's replicator asks so,
    # for a revision replaced meanwhile); its history must hold the revision asked.
    _asked_for(peer)
    peer.on["_bulk_get"] = answer(501, {"error": "not_implemented", "reason": "no"})
    peer.on["doc"] = answer(200, [{"ok": _doc(OTHER, _descendant())}])
    source = await _source(peer)
    try:
        done = await replicate(source, laptop, **ONCE)
    finally:
        await source.close()
    assert done.counters.docs_written == 1
    assert (await laptop.get("doc:0000"))["_rev"] == OTHER
    assert peer.seen("doc")[0].query.get("latest") == "true"


@pytest.mark.parametrize(
    ("request_", "entry"),
    [
        ({"id": "doc:0000", "rev": ASKED}, {"ok": _doc(OTHER, [OTHER])}),
        ({"id": "doc:0000"}, {"ok": _doc(ASKED, [ASKED], "intruder")}),
        ({"id": "doc:0000"}, {"ok": {"_id": "doc:0000", "_rev": "not a revision"}}),
    ],
    ids=["rev asked", "no rev: another id", "no rev: not a revision"],
)
async def test_the_http_store_refuses_a_bulk_get_entry_not_asked_for(
    peer: HostilePeer, request_: dict[str, str], entry: dict[str, Any]
) -> None:
    peer.on["_bulk_get"] = answer(200, {"results": [{"id": "doc:0000", "docs": [entry]}]})
    source = await _source(peer)
    try:
        with pytest.raises(PeerError, match="_bulk_get"):
            await source.bulk_get([request_])
    finally:
        await source.close()
