"""Checkpoints: where a replication got to, recorded on both sides.

The replication log is the ``_local/<replication id>`` document that CouchDB's
replicator writes (docs.couchdb.org, "Replication Protocol", "Retrieve
Replication Logs" and "Compare Replication Logs"): ``session_id``,
``source_last_seq`` and a ``history`` of sessions, newest first, at most 50.
It is written on the target after the batches it records are on the target, then
on the source; both writes overlap the next batches. The source's log is written
less often (once, then every :data:`SOURCE_LOG_INTERVAL` seconds, and at the end):
resuming trusts the target's log when both name the same session.

A run keeps one session id and updates its history entry in place after each
batch, as PouchDB's ``pouchdb-checkpointer`` does; the ``_rev`` of each log is
kept between writes, so a checkpoint costs one request per HTTP side.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sync.database import Database, Doc
from sync.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ReadOnlyStorageError,
    UnauthorizedError,
)
from sync.replication.state import Counters

#: What a source that takes no checkpoint answers: a CouchDB account that may only read
#: (401, 403), or a file opened read-only.
_SOURCE_READ_ONLY = (ForbiddenError, UnauthorizedError, ReadOnlyStorageError)

#: CouchDB keeps this many sessions in a replication log.
MAX_HISTORY = 50
#: Seconds at least between writes of the target's log while batches keep finishing (CouchDB's
#: replicator waits 30 s, its ``checkpoint_interval``): on a fast link a write a batch would
#: be a third of the requests. Sooner when the batches not yet checkpointed reach their bound
#: (``Checkpointer.hurry``), and at the end.
TARGET_LOG_INTERVAL = 0.5
#: Seconds between writes of the source's log during a run (see ``Checkpointer._source_due``).
SOURCE_LOG_INTERVAL = 10.0


def common_seq(source_log: Doc | None, target_log: Doc | None) -> Any:
    """The source sequence both logs agree was reached, or ``0`` to start over.

    Port of ``compare_replication_logs`` / ``compare_rep_history`` from CouchDB's
    ``couch_replicator_scheduler_job.erl``: same session on both sides wins;
    otherwise walk both histories, newest first, for a session they share.
    """
    if not source_log or not target_log:
        return 0
    source_session = source_log.get("session_id")
    if source_session is not None and source_session == target_log.get("session_id"):
        # One session per run, so the two may differ by the last checkpoint when a run
        # died between its two writes. The target's log is written first and only after
        # the batch, so it is both safe and the furthest: resume from it.
        return target_log.get("source_last_seq", 0)
    source_history = _history(source_log)
    target_history = _history(target_log)
    while source_history and target_history:
        newest_source, *source_rest = source_history
        newest_target, *target_rest = target_history
        if _has_session(target_history, newest_source.get("session_id")):
            return newest_source.get("recorded_seq", 0)
        if _has_session(source_rest, newest_target.get("session_id")):
            return newest_target.get("recorded_seq", 0)
        source_history, target_history = source_rest, target_rest
    return 0


def _history(log: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    history = log.get("history")
    if not isinstance(history, list):
        return []
    return [h for h in history if isinstance(h, Mapping)]


def _has_session(history: Sequence[Mapping[str, Any]], session_id: Any) -> bool:
    return session_id is not None and any(h.get("session_id") == session_id for h in history)


class Checkpointer:
    """Reads the replication logs at the start of a run and writes them after each batch."""

    def __init__(self, source: Database, target: Database, replication_id: str) -> None:
        self.source = source
        self.target = target
        self.docid = f"_local/{replication_id}"
        self.session_id = uuid.uuid4().hex
        self.start_time = _now()
        self.start_seq: Any = None
        #: Seconds each side took to answer the first read of its log.
        self.target_round_trip = self.source_round_trip = 0.0
        self._logs: dict[str, Doc | None] = {"source": None, "target": None}
        #: A source we may read but not write (e.g. a kiosk pulling anonymously) gets no log.
        self.source_writable = True
        self._target_worker: asyncio.Task[None] | None = None
        self._target_next: (
            tuple[Any, Counters, Counters, list[Callable[[], Awaitable[None]]]] | None
        ) = None
        self._target_error: Exception | None = None
        self._target_written: tuple[Any, Counters] | None = None
        self._target_written_at = -TARGET_LOG_INTERVAL
        self._hurry = asyncio.Event()
        self._source_worker: asyncio.Task[None] | None = None
        self._source_next: tuple[Any, Counters] | None = None
        self._source_error: Exception | None = None
        self._source_written_at: float | None = None
        #: Set when a background write fails (see :meth:`failure`).
        self._failed = asyncio.Event()

    async def read(self) -> Any:
        """Read both logs and return the sequence to start from."""
        started = time.monotonic()
        self._logs["target"] = await self._get(self.target)
        self.target_round_trip = time.monotonic() - started
        started = time.monotonic()
        self._logs["source"] = await self._get(self.source)
        self.source_round_trip = time.monotonic() - started
        seq = common_seq(self._logs["source"], self._logs["target"])
        if self._logs["source"] is None and self._logs["target"] is not None and seq == 0:
            seq = await self._read_only_source_seq()
        if self.start_seq is None:  # a retry resumes the same session: keep where it began
            self.start_seq = seq
        return seq

    async def _read_only_source_seq(self) -> Any:
        """Where a source that takes no log got to, by the target's log alone, as PouchDB's
        checkpointer does. Only this replicator marks a log ``source_read_only``; even then
        the source is tried first: one that takes a log now yet has none may be a new
        database under the old name, whose sequences that log knows nothing about."""
        target_log = self._logs["target"] or {}
        if not target_log.get("source_read_only"):
            return 0
        try:
            await self._put("source", self.source, 0, Counters())
        except _SOURCE_READ_ONLY:
            self.source_writable = False
            return target_log.get("source_last_seq", 0)
        return 0

    def record(
        self,
        seq: Any,
        counters: Counters,
        on_written: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Record, in the background, that everything up to ``seq`` of the source is on
        the target: the target's log, then (see :meth:`_source_due`) the source's. One
        write at a time on each side, each with the newest sequence (those in between are
        skipped), so on a slow link these round trips overlap the next batches. Once the target's log says so,
        ``counters.last_seq`` becomes ``seq`` and ``on_written`` is awaited (also for a
        sequence skipped for a newer one; in the order recorded). A failed write is raised by the next call, or
        by :meth:`settled` or :meth:`flush`."""
        self._raise_errors()
        callbacks = self._target_next[3] if self._target_next is not None else []
        if on_written is not None:
            callbacks.append(on_written)
        self._target_next = (seq, counters.snapshot(), counters, callbacks)
        if self._target_worker is None or self._target_worker.done():
            self._target_worker = asyncio.create_task(self._write_target())

    async def failure(self) -> None:
        """Raise the error of a background write as soon as one fails. Batches waiting for
        a checkpoint (to bound what a crash re-sends) would otherwise wait for ever: the
        error was raised only by the next :meth:`record`, after a batch they never finish."""
        await self._failed.wait()
        self._raise_errors()

    def hurry(self) -> None:
        """Write the target's log now, not :data:`TARGET_LOG_INTERVAL` after the last one."""
        self._hurry.set()

    async def settled(self) -> None:
        """Wait until the target's log holds the last sequence recorded."""
        self.hurry()
        if self._target_worker is not None:
            with contextlib.suppress(Exception):
                await self._target_worker
        self._raise_errors()

    async def flush(self) -> None:
        """Wait until both logs hold the last sequence recorded (raising what a write raised)."""
        await self.settled()
        while self.source_writable:
            worker = self._source_worker
            if worker is not None and not worker.done():
                with contextlib.suppress(Exception):
                    await worker
                self._raise_errors()
            elif self._source_next is not None:
                self._start_source_write()
            else:
                break
        await self.settled()  # the target's log again, if the source turned out read-only

    def _source_due(self) -> bool:
        """Whether to write the source's log now rather than at :meth:`flush`. Resuming
        trusts the target's log when both name this session (:func:`common_seq`), so the
        source's needs only the session: written once, then every
        :data:`SOURCE_LOG_INTERVAL` seconds for a long run, and at the end. On a slow link
        that spares a round trip a batch to the source (a pull's HTTP side)."""
        if self._source_worker is not None and not self._source_worker.done():
            return False  # under way; it takes the newest sequence when done
        last = self._source_written_at
        return last is None or time.monotonic() - last >= SOURCE_LOG_INTERVAL

    def _start_source_write(self) -> None:
        if self._source_worker is None or self._source_worker.done():
            self._source_written_at = time.monotonic()
            self._source_worker = asyncio.create_task(self._write_source())

    async def abort(self) -> None:
        """Drop writes still under way (the attempt failed or was cancelled)."""
        workers = (self._target_worker, self._source_worker)
        self._target_worker = self._source_worker = None
        self._target_next = None
        self._source_next = None
        self._target_error = self._source_error = None
        self._failed.clear()
        for worker in workers:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker

    def _raise_errors(self) -> None:
        for side in ("_target_error", "_source_error"):
            error = getattr(self, side)
            if error is not None:
                setattr(self, side, None)
                raise error

    async def _write_target(self) -> None:
        try:
            while self._target_next is not None:
                wait = self._target_written_at + TARGET_LOG_INTERVAL - time.monotonic()
                if wait > 0 and not self._hurry.is_set():
                    # Batches that finish meanwhile join this write (see TARGET_LOG_INTERVAL).
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._hurry.wait(), wait)
                self._hurry.clear()
                self._target_written_at = time.monotonic()
                (seq, snapshot, live, callbacks), self._target_next = self._target_next, None
                flagged = not self.source_writable
                await self._put("target", self.target, seq, snapshot)
                self._target_written = (seq, snapshot)
                if not flagged and not self.source_writable and self._target_next is None:
                    # The source turned out read-only meanwhile: say so in this log too.
                    self._target_next = (seq, snapshot, Counters(), [])
                live.last_seq = seq
                for callback in callbacks:
                    await callback()
                if self.source_writable:
                    self._source_next = (seq, snapshot)
                    if self._source_due():
                        self._start_source_write()
        except Exception as exc:
            self._target_error = exc
            self._failed.set()

    async def _write_source(self) -> None:
        try:
            if self._source_next is not None and self.source_writable:
                (seq, counters), self._source_next = self._source_next, None
                await self._put_source(seq, counters)
        except Exception as exc:
            self._source_error = exc
            self._failed.set()

    async def _put_source(self, seq: Any, counters: Counters) -> None:
        try:
            await self._put("source", self.source, seq, counters)
        except _SOURCE_READ_ONLY:
            # A read-only source: resume from the target's log alone from now on. The
            # target's log says so at its next write, by its own writer (one at a time,
            # never an older sequence after a newer one): the last one again if none is due.
            self.source_writable = False
            idle = self._target_worker is None or self._target_worker.done()
            if idle and self._target_next is None and self._target_written is not None:
                last_seq, last_counters = self._target_written
                self._target_next = (last_seq, last_counters, Counters(), [])
            if idle and self._target_next is not None:
                self._target_worker = asyncio.create_task(self._write_target())

    async def _get(self, db: Database) -> Doc | None:
        try:
            log = await db.get_local(self.docid)
        except NotFoundError:
            return None
        return dict(log) if isinstance(log, Mapping) else None

    async def _put(self, side: str, db: Database, seq: Any, counters: Counters) -> None:
        log = self._new_log(self._logs[side], seq, counters)
        try:
            result = await db.put_local(log)
        except ConflictError:
            # Someone else (a second replication with the same id) wrote the log: build
            # on their latest revision rather than failing a replication that worked.
            latest = await self._get(db)
            log = self._new_log(latest, seq, counters)
            result = await db.put_local(log)
        log["_rev"] = result.get("rev", log.get("_rev"))
        self._logs[side] = log

    def _new_log(self, previous: Doc | None, seq: Any, counters: Counters) -> Doc:
        entry = {
            "session_id": self.session_id,
            "start_time": self.start_time,
            "end_time": _now(),
            "start_last_seq": self.start_seq,
            "end_last_seq": seq,
            "recorded_seq": seq,
            "missing_checked": counters.missing_checked,
            "missing_found": counters.missing_found,
            "docs_read": counters.docs_read,
            "docs_written": counters.docs_written,
            "doc_write_failures": counters.docs_denied,
        }
        older = [h for h in _history(previous or {}) if h.get("session_id") != self.session_id]
        log: Doc = {
            "_id": self.docid,
            "session_id": self.session_id,
            "source_last_seq": seq,
            "replication_id_version": 3,
            "replicator": "cunyi",
            "history": [entry, *older][:MAX_HISTORY],
        }
        if not self.source_writable:
            log["source_read_only"] = True
        if previous and previous.get("_rev"):
            log["_rev"] = previous["_rev"]
        return log


def _now() -> str:
    return email.utils.formatdate(usegmt=True)
