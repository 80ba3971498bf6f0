"""The batch loop: changes -> revs_diff -> fetch -> write -> checkpoint, repeated.

Three kinds of task run side by side, as the reader, workers and job of CouchDB's
replicator (``couch_replicator_scheduler_job.erl``, ``couch_replicator_worker.erl``):

1. the *reader* reads pages of the source's changes feed (``style=all_docs``), a few
   batches per request, splits them into numbered batches and filters them;
2. :attr:`ReplicationOptions.workers` *workers* each take the next batch, ask the
   target which revisions it lacks, fetch those from the source and write them with
   ``new_edits=false``: batches finish out of order;
3. the *settler* takes the finished batches in order and checkpoints the last
   sequence of the highest contiguous one (in the background: the next batches'
   writes do not wait for it, see :meth:`Checkpointer.record`).

On a slow link the workers keep it busy: one batch's round trips overlap the
others' transfers, and batches are larger (:data:`SLOW_LINK_BATCH`). A recorded
sequence still means every batch up to it is on the target. A crash re-sends at
most the batches started and not yet checkpointed (:data:`UNRECORDED_BATCHES` per
worker), and on resume ``revs_diff`` makes those cost only their ids and revisions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync import mango
from sync.database import Database, Doc
from sync.errors import (
    AnswerTooLargeError,
    ForbiddenError,
    PreconditionFailedError,
    peer_text,
)
from sync.replication.answers import (
    ChangeRow,
    ChangesPage,
    changes_page,
    missing_revs,
    possible_ancestors,
    write_failures,
)
from sync.replication.checkpoint import Checkpointer
from sync.replication.fetch import RevisionFetcher
from sync.replication.options import public_location
from sync.replication.state import Denial, Replication, ReplicationCancelled, State

#: Seconds the client waits beyond a longpoll's own timeout before renewing it itself.
_LONGPOLL_GRACE = 1.0
#: Batches read from the changes feed per request at first: the feed is cheap to read
#: ahead, and on a slow link each page costs a round trip nothing overlaps.
PAGE_BATCHES = 5
#: How much larger each full page of the feed may be than the last, up to
#: :data:`MAX_PAGE_ROWS`: a first pull of a village reads its feed in one or two requests.
PAGE_GROWTH = 4
#: The most rows asked of the feed at once (from an HTTP source, with bodies: a few MB of
#: records; a page too large to read is asked again at ``PAGE_BATCHES`` batches, and then
#: without bodies).
MAX_PAGE_ROWS = 4_000
#: A side whose first answer took this long (seconds) is across a slow link, not on
#: loopback or a LAN. There each request costs a round trip long beside its transfer
#: (300 ms against 0.1 s for 100 records at 1 Mbit/s): writing to it, a batch holds at
#: least :data:`SLOW_LINK_BATCH` changes; reading its feed, the first page
#: :data:`SLOW_LINK_FIRST_PAGE`. Fewer, larger requests keep the link busy.
SLOW_ROUND_TRIP = 0.25
SLOW_LINK_BATCH = 500
#: Rows of the first page asked of a source across a slow link (at least).
SLOW_LINK_FIRST_PAGE = 2_000
#: Batches per worker that may be started and not yet checkpointed: the most a crash
#: re-sends is this many times ``workers``. Two: a worker starts its next batch while
#: the checkpoint of its last one is being written.
UNRECORDED_BATCHES = 2
#: Seconds between two readings of the bytes sent and received while a run goes on.
TRAFFIC_REFRESH = 0.5
#: Requests of one batch's write under way at once across HTTP, where revisions with
#: attachment data go one per request (see :meth:`BatchLoop._store`): the server's work
#: on one overlaps the transfer of the next.
WRITE_CONCURRENCY = 4


@dataclass(frozen=True)
class _Batch:
    index: int
    rows: list[ChangeRow]
    last_seq: Any


class BatchLoop:
    """One pass of a replication from a start sequence (see the module docstring)."""

    def __init__(
        self,
        replication: Replication,
        source: Database,
        target: Database,
        checkpointer: Checkpointer,
        fetcher: RevisionFetcher,
        *,
        server_selector: bool,
        refresh_traffic: Callable[[], None],
        slow_target: bool = False,
        slow_source: bool = False,
    ) -> None:
        self.rep = replication
        self.opts = replication.options
        #: Rows a batch holds: larger over a slow link, where each write's round trip
        #: is long beside its transfer (see :data:`SLOW_ROUND_TRIP`).
        self.batch_size = max(self.opts.batch_size, SLOW_LINK_BATCH if slow_target else 0)
        self.source = source
        self.target = target
        self.checkpointer = checkpointer
        self.fetcher = fetcher
        self.refresh_traffic = refresh_traffic
        # CouchDB takes one filter per feed: doc_ids go to the server, so a selector given
        # with them, or one the server cannot apply, is applied here on the winning revision.
        use_server = server_selector and self.opts.doc_ids is None
        self.server_selector = self.opts.selector if use_server else None
        self.client_selector = None if use_server else self.opts.selector
        self.doc_ids = frozenset(self.opts.doc_ids) if self.opts.doc_ids is not None else None
        # Over HTTP, bodies read with the feed save a _bulk_get round trip for first
        # revisions, the bulk of a first sync (records are append-only; see _first_revisions).
        self.remote_source = getattr(source, "stats", None) is not None
        self.bodies_from_feed = self.remote_source
        self.remote_target = getattr(target, "stats", None) is not None
        #: Rows asked of the feed at once: grows while an HTTP source's pages come full,
        #: falls back when a page was too large to read.
        self._base_page_limit = self.batch_size * PAGE_BATCHES
        self._page_limit = self._base_page_limit
        self._page_cap = max(self._base_page_limit, MAX_PAGE_ROWS)  # lowered when too large
        if slow_source:
            # Each page costs a round trip nothing overlaps: over a slow link, a village's
            # first pull of a few thousand records comes in one or two.
            self._page_limit = max(self._base_page_limit, SLOW_LINK_FIRST_PAGE)
        self._outstanding = 0  # batches read but not yet written and settled
        self._waiting = False  # the reader is waiting on a longpoll
        self._workers_left = 0
        #: Whether the target's ``_revs_diff`` has named ``possible_ancestors`` (CouchDB
        #: does; pouchdb-server never does, see :meth:`_current_revisions`).
        self._target_names_ancestors = False

    async def run(self, since: Any) -> None:
        """Replicate from ``since`` until caught up (or, if continuous, until cancelled)."""
        self.rep.counters.last_seq = since
        workers = self.opts.workers
        todo: asyncio.Queue[_Batch | None] = asyncio.Queue(workers + 2 * PAGE_BATCHES)
        finished: asyncio.Queue[_Batch | None] = asyncio.Queue()
        self._workers_left = workers
        #: Batches started and not yet checkpointed: what a crash may re-send.
        self._unrecorded = asyncio.Semaphore(UNRECORDED_BATCHES * workers)
        stages = [
            asyncio.create_task(self._read(since, todo)),
            *(asyncio.create_task(self._work(todo, finished)) for _ in range(workers)),
            asyncio.create_task(self._settle(finished)),
        ]
        # A checkpoint write that fails ends the pass at once (see Checkpointer.failure).
        watch = asyncio.create_task(self.checkpointer.failure())
        # cancel(): what is checkpointed is written at once on both sides (the batches
        # under way may not finish within the grace a cancel gives them).
        on_cancel = asyncio.create_task(self._flush_when_cancelled())
        ticker = asyncio.create_task(self._refresh_traffic_meanwhile())
        try:
            waiting = {*stages, watch}
            while not all(stage.done() for stage in stages):
                done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if any(task.exception() is not None for task in done):
                    break
            for stage in [*stages, watch]:  # the first stage to fail, in pipeline order
                if stage.done() and stage.exception() is not None:
                    raise stage.exception()  # type: ignore[misc]
            await self.checkpointer.flush()
            self.rep.check_cancelled()
        finally:
            on_cancel.cancel()
            ticker.cancel()
            await self.checkpointer.abort()
            # Stop every stage; collect their errors so none goes unreported.
            for task in [*stages, watch]:
                task.cancel()
            for task in [*stages, watch, on_cancel, ticker]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _refresh_traffic_meanwhile(self) -> None:
        """Bytes and requests counted as they go, not only when a batch is done: a batch of
        scans over a village link takes minutes, and a count standing still looks stuck."""
        while True:
            await asyncio.sleep(TRAFFIC_REFRESH)
            self.refresh_traffic()

    async def _flush_when_cancelled(self) -> None:
        await self.rep.cancelled()
        with contextlib.suppress(Exception):  # run() raises it at its own flush
            await self.checkpointer.flush()

    # -- 1. read ----------------------------------------------------------
    async def _read(self, since: Any, todo: asyncio.Queue[_Batch | None]) -> None:
        # Cancelled: the workers finish what they hold; run() raises once it is settled.
        with contextlib.suppress(ReplicationCancelled):
            await self._read_until_caught_up(since, todo)
        await todo.put(None)

    async def _read_until_caught_up(self, since: Any, todo: asyncio.Queue[_Batch | None]) -> None:
        seq = since
        index = 0
        caught_up = False
        while True:
            self.rep.check_cancelled()
            if caught_up:
                page = await self._wait_for_changes(seq)
                if page is None:
                    continue
            else:
                page = await self._changes(seq, longpoll=False)
            self.rep.counters.pending = page.pending
            size = self.batch_size
            chunks = _split(page.rows, size, self.opts.max_batch_attachment_bytes)
            for k, chunk in enumerate(chunks):
                # Each batch ends at its last row's seq, the last one at the page's.
                end = page.last_seq if k == len(chunks) - 1 else chunk[-1].seq
                rows = self._filter(chunk)
                if rows and self.rep.state is State.PAUSED:
                    await self.rep.set_state(State.ACTIVE)
                self.rep.counters.changes_read += len(rows)
                if rows or end != seq:
                    self._outstanding += 1
                    await todo.put(_Batch(index, rows, end))
                    index += 1
                    self.rep.check_cancelled()
                seq = end
            full = page.raw_count >= self._page_limit
            caught_up = not full or page.pending == 0
            if caught_up and not self.opts.continuous:
                return
            if full and self.remote_source:
                self._page_limit = min(self._page_limit * PAGE_GROWTH, self._page_cap)

    async def _wait_for_changes(self, seq: Any) -> ChangesPage | None:
        self._waiting = True
        # Paused once everything read is written; otherwise the settler says so when done.
        if self._outstanding == 0:
            await self.rep.set_state(State.PAUSED)
        try:
            timeout = self.opts.heartbeat
            return await self.rep.interruptible(
                asyncio.wait_for(self._changes(seq, longpoll=True), timeout + _LONGPOLL_GRACE)
            )
        except TimeoutError:
            return None  # nothing happened: renew the longpoll
        finally:
            self._waiting = False

    async def _changes(self, seq: Any, *, longpoll: bool) -> ChangesPage:
        while True:
            try:
                answer = await self.source.changes(
                    since=seq,
                    limit=self._page_limit,
                    style="all_docs",
                    doc_ids=self.opts.doc_ids,
                    selector=self.server_selector,
                    include_docs=self.client_selector is not None or self.bodies_from_feed,
                    feed="longpoll" if longpoll else "normal",
                    timeout=self.opts.heartbeat if longpoll else None,
                )
            except AnswerTooLargeError:
                # Too much to read at once: the page again at the first size if it grew,
                # else without the bodies where they only save round trips, else (a
                # selector applied here needs them) in halves, down to one row. A page
                # without bodies too large for an answer is no honest feed.
                if self._page_limit > self._base_page_limit:
                    self._page_limit = self._page_cap = self._base_page_limit
                elif self.bodies_from_feed:
                    self.bodies_from_feed = False
                elif self.client_selector is not None and self._page_limit > 1:
                    self._page_limit //= 2
                else:
                    raise
                continue
            self.rep.check_cancelled()
            return changes_page(answer, self.source.location)

    def _filter(self, rows: list[ChangeRow]) -> list[ChangeRow]:
        if self.doc_ids is not None:
            rows = [r for r in rows if r.docid in self.doc_ids]
        if self.client_selector is not None:
            selector = self.client_selector
            rows = [r for r in rows if r.doc is not None and mango.matches(selector, r.doc)]
        return rows

    # -- 2. work: diff, fetch, write ---------------------------------------
    async def _work(
        self, todo: asyncio.Queue[_Batch | None], finished: asyncio.Queue[_Batch | None]
    ) -> None:
        try:
            while (batch := await todo.get()) is not None:
                if not self.rep.cancel_requested:
                    if self._unrecorded.locked():
                        self.checkpointer.hurry()
                    await self._unrecorded.acquire()  # released once checkpointed
                if self.rep.cancel_requested:
                    continue  # drain: a batch not under way is left for the next run
                try:
                    docs = await self._missing_docs(batch.rows)
                except ReplicationCancelled:
                    continue
                # Not stopped by cancel() once under way: a write that lands is counted
                # and checkpointed, so there is less to redo.
                await self._store(docs)
                finished.put_nowait(batch)
            todo.put_nowait(None)  # for the next worker (the reader puts it once)
        finally:
            self._workers_left -= 1
            if self._workers_left == 0:
                finished.put_nowait(None)

    async def _missing_docs(self, rows: list[ChangeRow]) -> list[Doc]:
        """The revisions of ``rows`` the target lacks (``_revs_diff``), fetched from the source."""
        if not rows:
            return []
        asked: dict[str, list[str]] = {}
        for row in rows:
            revs = asked.setdefault(row.docid, [])
            revs.extend(r for r in row.revs if r not in revs)
        answer = await self.target.revs_diff(asked)
        missing = missing_revs(answer, asked, self.target.location)
        ancestors = possible_ancestors(answer, missing)
        if ancestors:
            self._target_names_ancestors = True
        elif not self._target_names_ancestors:
            ancestors = await self._current_revisions(missing)
        counters = self.rep.counters
        counters.missing_checked += sum(len(revs) for revs in asked.values())
        counters.missing_found += sum(len(revs) for revs in missing.values())
        docs = _first_revisions(rows, missing) if self.bodies_from_feed else []
        docs += await self.fetcher.fetch(missing, ancestors)
        counters.docs_read += len(docs)
        return docs

    async def _current_revisions(self, missing: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """For a target whose ``_revs_diff`` names no ``possible_ancestors`` (pouchdb-server):
        the current revision of each document with a later revision missing, where it is
        older than that revision, the leaf CouchDB would most often name."""
        later = [d for d, revs in missing.items() if any(not r.startswith("1-") for r in revs)]
        if not later:
            return {}
        rows = (await self.target.all_docs(keys=later)).get("rows")
        found: dict[str, list[str]] = {}
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, Mapping) or not isinstance(value := row.get("value"), Mapping):
                continue
            docid, rev = row.get("id"), value.get("rev")
            if not isinstance(docid, str) or docid not in missing or value.get("deleted"):
                continue
            if not isinstance(rev, str) or not (gen := rev.partition("-")[0]).isdigit():
                continue
            if int(gen) < max(int(r.partition("-")[0]) for r in missing[docid]):
                found[docid] = [rev]
        return found

    async def _store(self, docs: list[Doc]) -> None:
        """Write ``docs`` to the target. Across HTTP, each revision that carries attachment
        data goes in a request of its own, :data:`WRITE_CONCURRENCY` at a time, and is
        counted as it lands: a village's batch of scans takes minutes on its link, and the
        count of records sent would otherwise stand at 0 until all were written. (Into
        the embedded store a batch stays one transaction.)"""
        heavy = [d for d in docs if _inline_attachments(d)] if self.remote_target else []
        if not heavy or len(docs) == 1:
            await self._store_group(docs)
            return
        light = [d for d in docs if not _inline_attachments(d)]
        groups = ([light] if light else []) + [[d] for d in heavy]
        gate = asyncio.Semaphore(WRITE_CONCURRENCY)

        async def store(group: list[Doc]) -> None:
            async with gate:
                await self._store_group(group)

        tasks = [asyncio.create_task(store(group)) for group in groups]
        try:
            await asyncio.gather(*tasks)
        finally:  # one failed (or the pass was cancelled): stop the others before going on
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _store_group(self, docs: list[Doc]) -> None:
        try:
            try:
                answer = await self.target.bulk_docs(docs, new_edits=False)
            except PreconditionFailedError:
                # A stub the target could not match (its revision that the stub stood on
                # lacks the attachment: a history written by hand, a purge). As CouchDB's
                # replicator does, fetch those revisions again whole, and write once more.
                if not any(_stubs(d) for d in docs):
                    raise
                answer = await self.target.bulk_docs(await self._whole(docs), new_edits=False)
        except ForbiddenError as exc:
            # validate_doc_update refusals come back per document, in a 201 answer; a 403
            # for the whole request means no write access to the database at all. Denying
            # every revision would checkpoint past them, and a rerun with the access fixed
            # would never send them: fail instead, before the checkpoint.
            raise ForbiddenError(
                f"no write access to {public_location(self.target.location)}: {exc.reason}"
            ) from exc
        failures = write_failures(answer, self.target.location)
        self.rep.counters.docs_written += len(docs) - len(failures)
        refused = {(f.get("id"), f.get("rev")) for f in failures}
        self.rep.counters.attachments_written += sum(
            _inline_attachments(d) for d in docs if (d.get("_id"), d.get("_rev")) not in refused
        )
        for failure in failures:
            await self.rep.deny(_denial(failure))

    async def _whole(self, docs: list[Doc]) -> list[Doc]:
        """``docs`` with those holding attachment stubs fetched again with all their data."""
        again: dict[str, list[str]] = {}
        for doc in docs:
            if _stubs(doc):
                again.setdefault(doc["_id"], []).append(doc["_rev"])
        whole = {(d["_id"], d["_rev"]): d for d in await self.fetcher.fetch(again)}
        return [whole.get((d["_id"], d["_rev"]), d) for d in docs]

    # -- 3. settle --------------------------------------------------------
    async def _settle(self, finished: asyncio.Queue[_Batch | None]) -> None:
        """Take finished batches in order; checkpoint the highest contiguous one."""
        counters = self.rep.counters
        early: dict[int, _Batch] = {}  # finished before a batch read earlier
        next_index = 0
        while (batch := await finished.get()) is not None:
            early[batch.index] = batch
            while next_index in early:
                batch = early.pop(next_index)
                next_index += 1
                self.checkpointer.record(batch.last_seq, counters, self._checkpointed)
                self._outstanding -= 1
            if self._waiting and self._outstanding == 0:
                await self.checkpointer.settled()
                await self.rep.set_state(State.PAUSED)

    async def _checkpointed(self) -> None:
        """A batch is on the target and its checkpoint written: say so."""
        self._unrecorded.release()
        self.rep.counters.batches += 1
        self.refresh_traffic()
        await self.rep.emit("change")


def _split(rows: list[ChangeRow], size: int, max_attachment_bytes: int) -> list[list[ChangeRow]]:
    """Rows in batches of ``size``, a batch ended early once the attachments its feed
    bodies announce would pass ``max_attachment_bytes`` (at least one row a batch; always
    one batch, maybe empty). Any row's seq is a place to resume from, so any cut is safe."""
    batches: list[list[ChangeRow]] = []
    current: list[ChangeRow] = []
    weight = 0
    for row in rows:
        row_weight = _announced_attachment_bytes(row.doc)
        if current and (len(current) >= size or weight + row_weight > max_attachment_bytes):
            batches.append(current)
            current, weight = [], 0
        current.append(row)
        weight += row_weight
    batches.append(current)
    return batches


def _announced_attachment_bytes(doc: Doc | None) -> int:
    """What the attachments of a feed body will weigh once fetched inline (base64)."""
    atts = (doc or {}).get("_attachments")
    if not isinstance(atts, Mapping):
        return 0
    raw = sum(
        int(a["length"])
        for a in atts.values()
        if isinstance(a, Mapping) and isinstance(a.get("length"), int)
    )
    return raw * 4 // 3


def _first_revisions(rows: list[ChangeRow], missing: dict[str, list[str]]) -> list[Doc]:
    """Missing revisions the feed already brought in full, taken out of ``missing``.

    Only a document's first revision (``1-...``) qualifies, as the only leaf and with no
    attachments: its history is itself, so ``{"start": 1, "ids": [sig]}`` is complete.
    Anything else (later revisions, conflicts, attachments) is fetched with its history.
    """
    docs: list[Doc] = []
    for row in rows:
        doc = row.doc
        revs = missing.get(row.docid)
        if doc is None or revs is None or len(row.revs) != 1 or revs != row.revs:
            continue
        rev = row.revs[0]
        if doc.get("_id") != row.docid or doc.get("_rev") != rev or not rev.startswith("1-"):
            continue
        if doc.get("_attachments"):
            continue
        docs.append({**doc, "_revisions": {"start": 1, "ids": [rev[2:]]}})
        del missing[row.docid]
    return docs


def _stubs(doc: Doc) -> bool:
    """Whether ``doc`` names an attachment without its data (the target is to have it)."""
    atts = doc.get("_attachments")
    return isinstance(atts, Mapping) and any(
        isinstance(a, Mapping) and "data" not in a for a in atts.values()
    )


def _inline_attachments(doc: Doc) -> int:
    """Attachments whose data travels with ``doc`` (stubs the target has are not counted)."""
    atts = doc.get("_attachments")
    if not isinstance(atts, Mapping):
        return 0
    return sum(1 for a in atts.values() if isinstance(a, Mapping) and "data" in a)


def _denial(failure: Mapping[str, Any]) -> Denial:
    # The target's words, cleaned and bounded (see peer_text); the id is kept exact.
    return Denial(
        docid=str(failure.get("id", "")),
        rev=failure.get("rev") if isinstance(failure.get("rev"), str) else None,
        error=peer_text(failure.get("error", ""), 100),
        reason=peer_text(failure.get("reason", ""), 500),
    )
