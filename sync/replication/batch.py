"""The batch loop: changes -> revs_diff -> fetch -> write -> checkpoint, repeated.

Four stages run side by side, joined by short queues, as the reader, workers
and checkpointer of CouchDB's replicator do:

1. *read*: pages of the source's changes feed (``style=all_docs``), a few batches
   per request, split into batches and filtered;
2. *fetch*: ask the target which revisions it lacks, fetch those from the source;
3. *write*: store each batch with ``new_edits=false`` (:data:`WRITES_IN_FLIGHT`
   batches at once);
4. *settle*: wait for each batch's write, in order, then checkpoint its last
   sequence.

On a slow link this overlaps the round trips of one batch with the transfer of
the next; checkpoints stay strictly in order, so a recorded sequence always
means every batch up to it is on the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync import mango
from sync.database import Database, Doc
from sync.errors import AnswerTooLargeError, ForbiddenError, peer_text
from sync.replication.answers import (
    ChangeRow,
    ChangesPage,
    changes_page,
    missing_revs,
    write_failures,
)
from sync.replication.checkpoint import Checkpointer
from sync.replication.fetch import RevisionFetcher
from sync.replication.options import public_location
from sync.replication.state import Denial, Replication, State

#: Seconds the client waits beyond a longpoll's own timeout before renewing it itself.
_LONGPOLL_GRACE = 1.0
#: Batches written but not yet checkpointed. One keeps the promise that a crash costs at
#: most one batch read again; reading and fetching the next batches still overlap it.
WRITES_IN_FLIGHT = 1
#: Batches read from the changes feed per request: the feed is cheap to read ahead, and
#: on a slow link each page costs a round trip the pipeline cannot overlap.
PAGE_BATCHES = 5
#: Fetched batches waiting for the writer: they hold attachment data, so only one.
_FETCHED_AHEAD = 1


@dataclass(frozen=True)
class _Page:
    rows: list[ChangeRow]
    last_seq: Any


@dataclass(frozen=True)
class _Batch:
    docs: list[Doc]
    last_seq: Any


_Written = tuple[_Batch, "asyncio.Task[None]"]


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
    ) -> None:
        self.rep = replication
        self.opts = replication.options
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
        self.bodies_from_feed = getattr(source, "stats", None) is not None
        #: Rows asked of the feed at once; smaller once a page was too large to read.
        self._page_limit = self.opts.batch_size * PAGE_BATCHES
        self._outstanding = 0  # pages read but not yet written and checkpointed
        self._waiting = False  # the reader is waiting on a longpoll
        self._writes: set[asyncio.Task[None]] = set()

    async def run(self, since: Any) -> None:
        """Replicate from ``since`` until caught up (or, if continuous, until cancelled)."""
        self.rep.counters.last_seq = since
        pages: asyncio.Queue[_Page | None] = asyncio.Queue(PAGE_BATCHES)
        batches: asyncio.Queue[_Batch | None] = asyncio.Queue(_FETCHED_AHEAD)
        written: asyncio.Queue[_Written | None] = asyncio.Queue()
        slots = asyncio.Semaphore(WRITES_IN_FLIGHT)
        stages = [
            asyncio.create_task(self._read(since, pages)),
            asyncio.create_task(self._fetch(pages, batches)),
            asyncio.create_task(self._write(batches, written, slots)),
            asyncio.create_task(self._settle(written, slots)),
        ]
        try:
            done, _ = await asyncio.wait(stages, return_when=asyncio.FIRST_EXCEPTION)
            for stage in stages:  # the first stage to fail, in pipeline order
                if stage in done and stage.exception() is not None:
                    raise stage.exception()  # type: ignore[misc]
            await self.checkpointer.flush()
        finally:
            await self.checkpointer.abort()
            # Stop every stage and write; collect their errors so none goes unreported.
            for task in [*stages, *self._writes]:
                task.cancel()
            for task in [*stages, *self._writes]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    # -- 1. read ----------------------------------------------------------
    async def _read(self, since: Any, pages: asyncio.Queue[_Page | None]) -> None:
        seq = since
        caught_up = False
        while True:
            if caught_up:
                page = await self._wait_for_changes(seq)
                if page is None:
                    continue
            else:
                page = await self._changes(seq, longpoll=False)
            self.rep.counters.pending = page.pending
            size = self.opts.batch_size
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
                    await pages.put(_Page(rows, end))
                    self.rep.check_cancelled()
                seq = end
            caught_up = page.raw_count < self._page_limit or page.pending == 0
            if caught_up and not self.opts.continuous:
                await pages.put(None)
                return

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
                # Too much to read at once: the page again without the bodies where they
                # only save round trips, else (a selector applied here needs them) in
                # halves, down to one row. A page without bodies too large for an answer
                # is no honest feed.
                if self.bodies_from_feed:
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

    # -- 2. fetch ---------------------------------------------------------
    async def _fetch(
        self, pages: asyncio.Queue[_Page | None], batches: asyncio.Queue[_Batch | None]
    ) -> None:
        while (page := await pages.get()) is not None:
            self.rep.check_cancelled()
            docs = await self._missing_docs(page.rows)
            await batches.put(_Batch(docs, page.last_seq))
            self.rep.check_cancelled()
        await batches.put(None)

    async def _missing_docs(self, rows: list[ChangeRow]) -> list[Doc]:
        if not rows:
            return []
        asked: dict[str, list[str]] = {}
        for row in rows:
            revs = asked.setdefault(row.docid, [])
            revs.extend(r for r in row.revs if r not in revs)
        answer = await self.target.revs_diff(asked)
        missing = missing_revs(answer, asked, self.target.location)
        counters = self.rep.counters
        counters.missing_checked += sum(len(revs) for revs in asked.values())
        counters.missing_found += sum(len(revs) for revs in missing.values())
        docs = _first_revisions(rows, missing) if self.bodies_from_feed else []
        docs += await self.fetcher.fetch(missing)
        counters.docs_read += len(docs)
        return docs

    # -- 3. write ---------------------------------------------------------
    async def _write(
        self,
        batches: asyncio.Queue[_Batch | None],
        written: asyncio.Queue[_Written | None],
        slots: asyncio.Semaphore,
    ) -> None:
        while (batch := await batches.get()) is not None:
            await slots.acquire()  # released by the settler once the batch is checkpointed
            self.rep.check_cancelled()
            task = asyncio.create_task(self._store(batch.docs))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)
            written.put_nowait((batch, task))
        written.put_nowait(None)

    async def _store(self, docs: list[Doc]) -> None:
        for chunk in _chunks(docs, self.opts.max_write_bytes):
            await self._store_chunk(chunk)

    async def _store_chunk(self, docs: list[Doc]) -> None:
        try:
            answer = await self.target.bulk_docs(docs, new_edits=False)
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

    # -- 4. settle --------------------------------------------------------
    async def _settle(
        self, written: asyncio.Queue[_Written | None], slots: asyncio.Semaphore
    ) -> None:
        counters = self.rep.counters
        while (item := await written.get()) is not None:
            batch, task = item
            await task
            # Checkpoint what is written even if cancel() came meanwhile: less to redo.
            if batch.last_seq != counters.last_seq:
                await self.checkpointer.write(batch.last_seq, counters)
                counters.last_seq = batch.last_seq
            self.rep.check_cancelled()
            counters.batches += 1
            self._outstanding -= 1
            slots.release()
            self.refresh_traffic()
            await self.rep.emit("change")
            if self._waiting and self._outstanding == 0:
                await self.rep.set_state(State.PAUSED)


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


def _chunks(docs: list[Doc], max_bytes: int) -> list[list[Doc]]:
    """Split a batch so that no ``_bulk_docs`` body grows far past ``max_bytes``."""
    chunks: list[list[Doc]] = []
    current: list[Doc] = []
    size = 0
    for doc in docs:
        doc_size = _estimated_size(doc)
        if current and size + doc_size > max_bytes:
            chunks.append(current)
            current, size = [], 0
        current.append(doc)
        size += doc_size
    if current:
        chunks.append(current)
    return chunks


#: What a document adds to a ``_bulk_docs`` body beyond its own JSON (separators), and
#: each attachment beyond its data (name, content type, digest, revpos, length).
_DOC_OVERHEAD = 16
_ATTACHMENT_OVERHEAD = 200


def _estimated_size(doc: Doc) -> int:
    """The bytes ``doc`` adds to a ``_bulk_docs`` body: its JSON (the body counts: a batch
    of 100 documents of 500 KB each is 50 MB, attachments or not), with the inline
    attachment data counted by its length rather than encoded a second time."""
    atts = doc.get("_attachments")
    body = doc if not atts else {k: v for k, v in doc.items() if k != "_attachments"}
    size = _DOC_OVERHEAD + len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    if isinstance(atts, Mapping):
        for att in atts.values():
            data = att.get("data") if isinstance(att, Mapping) else None
            size += _ATTACHMENT_OVERHEAD + (len(data) if isinstance(data, str) else 0)
    return size
