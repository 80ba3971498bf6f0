"""The batch loop: changes -> revs_diff -> fetch -> write -> checkpoint, repeated.

Two stages run side by side, like the reader and the writer of CouchDB's
replicator: a reader reads a page of changes with ``style=all_docs``, asks the
target which revisions it lacks and fetches them; a writer stores each batch
with ``new_edits=false`` and then checkpoints its last sequence. A queue of
one batch between them overlaps the round trips of one batch with the next,
which matters on a slow link, while checkpoints stay strictly in order: a
sequence is recorded only after every batch up to it was written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync import mango
from sync.database import Database, Doc
from sync.errors import ForbiddenError
from sync.replication.answers import (
    ChangeRow,
    ChangesPage,
    changes_page,
    missing_revs,
    write_failures,
)
from sync.replication.checkpoint import Checkpointer
from sync.replication.fetch import RevisionFetcher
from sync.replication.state import Denial, Replication, State

#: Seconds the client waits beyond a longpoll's own timeout before renewing it itself.
_LONGPOLL_GRACE = 1.0


@dataclass(frozen=True)
class _Batch:
    docs: list[Doc]
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
        self._waiting = False  # the reader is waiting on a longpoll
        self._writing = False

    async def run(self, since: Any) -> None:
        """Replicate from ``since`` until caught up (or, if continuous, until cancelled)."""
        self.rep.counters.last_seq = since
        queue: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=1)
        reader = asyncio.create_task(self._read(since, queue))
        try:
            while (batch := await self._next(queue, reader)) is not None:
                await self._write(batch, queue)
            await reader
        finally:
            # Stop the reader, and collect its error if the writer failed first
            # (otherwise asyncio reports it as never retrieved).
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _next(self, queue: asyncio.Queue[_Batch | None], reader: asyncio.Task[None]) -> _Batch | None:
        getter = asyncio.ensure_future(queue.get())
        await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        reader.result()  # the reader failed: raise its error here
        return await queue.get()

    # -- reader -----------------------------------------------------------
    async def _read(self, since: Any, queue: asyncio.Queue[_Batch | None]) -> None:
        seq = since
        caught_up = False
        while True:
            if caught_up:
                page = await self._wait_for_changes(seq)
                if page is None:
                    continue
            else:
                page = await self._changes(seq, longpoll=False)
            self.rep.check_cancelled()
            rows = self._filter(page.rows)
            if rows and self.rep.state is State.PAUSED:
                await self.rep.set_state(State.ACTIVE)
            self.rep.counters.changes_read += len(rows)
            self.rep.counters.pending = page.pending
            docs = await self._missing_docs(rows)
            if docs or page.last_seq != seq:
                await queue.put(_Batch(docs, page.last_seq))
            seq = page.last_seq
            caught_up = page.raw_count < self.opts.batch_size or page.pending == 0
            if caught_up and not self.opts.continuous:
                await queue.put(None)
                return

    async def _wait_for_changes(self, seq: Any) -> ChangesPage | None:
        self._waiting = True
        if not self._writing:
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
        answer = await self.source.changes(
            since=seq,
            limit=self.opts.batch_size,
            style="all_docs",
            doc_ids=self.opts.doc_ids,
            selector=self.server_selector,
            include_docs=self.client_selector is not None,
            feed="longpoll" if longpoll else "normal",
            timeout=self.opts.heartbeat if longpoll else None,
        )
        self.rep.check_cancelled()
        return changes_page(answer, self.source.location)

    def _filter(self, rows: list[ChangeRow]) -> list[ChangeRow]:
        if self.doc_ids is not None:
            rows = [r for r in rows if r.docid in self.doc_ids]
        if self.client_selector is not None:
            selector = self.client_selector
            rows = [r for r in rows if r.doc is not None and mango.matches(selector, r.doc)]
        return rows

    async def _missing_docs(self, rows: list[ChangeRow]) -> list[Doc]:
        if not rows:
            return []
        asked: dict[str, list[str]] = {}
        for row in rows:
            asked.setdefault(row.docid, []).extend(r for r in row.revs if r not in asked.get(row.docid, []))
        answer = await self.target.revs_diff(asked)
        self.rep.check_cancelled()
        missing = missing_revs(answer, asked, self.target.location)
        counters = self.rep.counters
        counters.missing_checked += sum(len(revs) for revs in asked.values())
        counters.missing_found += sum(len(revs) for revs in missing.values())
        docs = await self.fetcher.fetch(missing)
        self.rep.check_cancelled()
        counters.docs_read += len(docs)
        return docs

    # -- writer -----------------------------------------------------------
    async def _write(self, batch: _Batch, queue: asyncio.Queue[_Batch | None]) -> None:
        self.rep.check_cancelled()
        self._writing = True
        try:
            for chunk in _chunks(batch.docs, self.opts.max_write_bytes):
                await self._write_chunk(chunk)
            counters = self.rep.counters
            if batch.last_seq != counters.last_seq:
                await self.checkpointer.write(batch.last_seq, counters)
                self.rep.check_cancelled()
                counters.last_seq = batch.last_seq
            counters.batches += 1
            self.refresh_traffic()
            await self.rep.emit("change")
        finally:
            self._writing = False
        if self._waiting and queue.empty():
            await self.rep.set_state(State.PAUSED)

    async def _write_chunk(self, docs: list[Doc]) -> None:
        try:
            answer = await self.target.bulk_docs(docs, new_edits=False)
        except ForbiddenError as exc:
            # The whole request refused (e.g. a reader-only account): every revision denied.
            self.rep.check_cancelled()
            for doc in docs:
                await self.rep.deny(Denial(doc["_id"], doc.get("_rev"), exc.error, exc.reason))
            return
        self.rep.check_cancelled()
        failures = write_failures(answer, self.target.location)
        for failure in failures:
            await self.rep.deny(_denial(failure))
        self.rep.counters.docs_written += len(docs) - len(failures)


def _denial(failure: Mapping[str, Any]) -> Denial:
    return Denial(
        docid=str(failure.get("id", "")),
        rev=failure.get("rev") if isinstance(failure.get("rev"), str) else None,
        error=str(failure.get("error", "")),
        reason=str(failure.get("reason", "")),
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


def _estimated_size(doc: Doc) -> int:
    atts = doc.get("_attachments") or {}
    inline = sum(len(a.get("data", "")) for a in atts.values() if isinstance(a, Mapping))
    return 1_000 + inline
