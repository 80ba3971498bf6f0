"""``replicate(source, target)`` and ``sync(a, b)``: a run from start to end.

A run opens the databases it was given as locations, derives the replication
id, then makes attempts: each reads the checkpoints, finds where both sides
agree the last run got to and runs the batch loop from there. A transient
failure (network error, 5xx) ends the attempt; after a capped, jittered
back-off the next attempt resumes from the last checkpoint. Anything else
(401, a malformed answer, a missing database) fails the replication at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Generator
from typing import Any

from sync.database import Database
from sync.replication.backoff import Backoff, is_transient
from sync.replication.batch import SLOW_ROUND_TRIP, BatchLoop
from sync.replication.checkpoint import Checkpointer
from sync.replication.fetch import RevisionFetcher
from sync.replication.options import ReplicationOptions, replication_id
from sync.replication.sides import Traffic, guarded, open_side
from sync.replication.state import (
    CANCEL_GRACE,
    EventCallback,
    Replication,
    ReplicationCancelled,
    State,
)

log = logging.getLogger("sync.replication")


def replicate(
    source: Database | str,
    target: Database | str,
    *,
    on_event: EventCallback | None = None,
    **options: Any,
) -> Replication:
    """A one-way replication from ``source`` to ``target`` (databases or locations).

    Returns the :class:`Replication` without starting it: ``await`` it to run it to the
    end, or call ``start()`` to run it in the background. ``options`` are the fields of
    :class:`ReplicationOptions` (``batch_size``, ``continuous``, ``doc_ids``, ``selector``...).
    ``on_event`` is an async callback receiving every :class:`ReplicationEvent`.
    """
    opts = ReplicationOptions.build(**options)
    return Replication(source, target, opts, run=_run, on_event=on_event)


async def _run(rep: Replication) -> None:
    rep.started_at = time.monotonic() if rep.started_at is None else rep.started_at
    opened: list[Database] = []
    try:
        await _stoppable(rep, _attempts(rep, opened))
        await rep.set_state(State.COMPLETE)
    except (ReplicationCancelled, asyncio.CancelledError) as exc:
        await rep.set_state(State.CANCELLED)
        if isinstance(exc, asyncio.CancelledError):
            raise
    except Exception as exc:
        rep.error = exc
        log.warning(
            "replication %s -> %s failed: %s", rep.source_location, rep.target_location, exc
        )
        await rep.set_state(State.FAILED, error=exc)
    finally:
        for db in opened:
            with contextlib.suppress(Exception):
                await db.close()


async def _stoppable(rep: Replication, work: Coroutine[Any, Any, None]) -> None:
    """Run ``work``; after ``cancel()``, give it :data:`CANCEL_GRACE` seconds to stop at its
    next check, then cancel it wherever it waits: a request to a peer that trickles or
    says nothing would otherwise hold the replication (and Ctrl-C) for as long as it lasts."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(rep.cancelled())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            await asyncio.wait({task}, timeout=CANCEL_GRACE)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise ReplicationCancelled()
        await task
    finally:
        stop.cancel()
        if not task.done():  # _run itself was cancelled
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class _Session:
    """The parts of a run that outlive one attempt: both sides, the checkpointer (its
    session id), the fetcher (whether ``_bulk_get`` works) and the traffic baseline."""

    def __init__(
        self, rep: Replication, source: Database, target: Database, server_selector: bool
    ) -> None:
        self.rep = rep
        self.src, self.tgt = guarded(source, rep), guarded(target, rep)
        self.traffic = Traffic(rep.counters, source, target)
        rep.replication_id = replication_id(source.location, target.location, rep.options)
        self.checkpointer = Checkpointer(self.src, self.tgt, rep.replication_id)
        self.fetcher = RevisionFetcher(self.src, concurrency=rep.options.fetch_concurrency)
        self.server_selector = server_selector

    @classmethod
    async def open(cls, rep: Replication, opened: list[Database]) -> _Session:
        # Each side is kept as soon as it is open, so a retry does not open it twice.
        rep.source = await open_side(rep.source, create=False, opened=opened, source=True)
        rep.target = await open_side(rep.target, create=True, opened=opened)
        rep.check_cancelled()
        selector = rep.options.selector is not None and await rep.source.supports_selector_filter()
        rep.check_cancelled()
        return cls(rep, rep.source, rep.target, selector)

    async def run(self) -> None:
        if self.checkpointer.start_seq is None:
            since = await self.checkpointer.read()
            if since == 0 and self.rep.options.since_seq is not None:
                # No checkpoint in common: start where the caller said (CouchDB's since_seq).
                since = self.checkpointer.start_seq = self.rep.options.since_seq
        else:
            # A retry: the last checkpoint this run wrote (or read) is known already.
            since = self.rep.counters.last_seq
        batch_loop = BatchLoop(
            self.rep,
            self.src,
            self.tgt,
            self.checkpointer,
            self.fetcher,
            server_selector=self.server_selector,
            refresh_traffic=self.traffic.refresh,
            slow_target=self.checkpointer.target_round_trip >= SLOW_ROUND_TRIP,
            slow_source=self.checkpointer.source_round_trip >= SLOW_ROUND_TRIP,
        )
        await batch_loop.run(since)
        self.traffic.refresh()


async def _attempts(rep: Replication, opened: list[Database]) -> None:
    opts = rep.options
    backoff = Backoff(opts.backoff_initial, opts.backoff_max)
    session: _Session | None = None
    while True:
        batches_before = rep.counters.batches
        try:
            if session is None:
                session = await _Session.open(rep, opened)
                await rep.set_state(State.ACTIVE)
            await session.run()
            return
        except Exception as exc:
            if session is not None:
                session.traffic.refresh()
            if isinstance(exc, ReplicationCancelled) or not is_transient(exc):
                raise
            if rep.counters.batches > batches_before:
                backoff.reset()
            if opts.retries is not None and backoff.failures >= opts.retries:
                raise
            delay = backoff.next_delay()
            rep.counters.retries += 1
            log.info(
                "replication %s -> %s: %s; retrying in %.1f s",
                rep.source_location,
                rep.target_location,
                exc,
                delay,
            )
            await rep.set_state(State.PAUSED, error=exc)
            await rep.emit("retry", error=exc, retry_in=delay)
            await rep.interruptible(asyncio.sleep(delay))
            if session is not None:
                await rep.set_state(State.ACTIVE)


class SyncReplication:
    """Push (``a`` to ``b``) and pull (``b`` to ``a``) side by side, events tagged
    ``"push"`` / ``"pull"``. Awaiting it waits for both; if one fails the other is
    cancelled and the error raised."""

    def __init__(
        self, a: Database | str, b: Database | str, replications: tuple[Replication, Replication]
    ) -> None:
        self.a, self.b = a, b
        self.push, self.pull = replications
        self._task: asyncio.Task[None] | None = None

    def start(self) -> SyncReplication:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def wait(self) -> SyncReplication:
        self.start()
        assert self._task is not None
        await asyncio.shield(self._task)
        for rep in (self.push, self.pull):
            if rep.state is State.FAILED and rep.error is not None:
                raise rep.error
        return self

    def __await__(self) -> Generator[Any, None, SyncReplication]:
        return self.wait().__await__()

    def cancel(self) -> None:
        self.push.cancel()
        self.pull.cancel()

    @property
    def state(self) -> State:
        states = {self.push.state, self.pull.state}
        for decisive in (State.FAILED, State.CANCELLED):
            if decisive in states:
                return decisive
        if len(states) == 1:
            return states.pop()
        return State.ACTIVE

    async def _run(self) -> None:
        opened: list[Database] = []
        try:
            try:
                a = await open_side(self.a, create=True, opened=opened)
                b = await open_side(self.b, create=True, opened=opened)
            except Exception as exc:
                for rep in (self.push, self.pull):
                    rep.error = exc
                    await rep.set_state(State.FAILED, error=exc)
                return
            self.push.source = self.pull.target = a
            self.push.target = self.pull.source = b
            waiting = {asyncio.create_task(_settled(rep)) for rep in (self.push, self.pull)}
            while waiting:
                _, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if State.FAILED in (self.push.state, self.pull.state):
                    self.cancel()
        finally:
            for db in opened:
                with contextlib.suppress(Exception):
                    await db.close()


async def _settled(rep: Replication) -> None:
    """Wait for ``rep`` to end, however it ends (its state and error say how)."""
    with contextlib.suppress(Exception):
        await rep.wait()


def sync(
    a: Database | str,
    b: Database | str,
    *,
    on_event: EventCallback | None = None,
    **options: Any,
) -> SyncReplication:
    """Replicate both ways between ``a`` and ``b`` (see :func:`replicate` for ``options``)."""
    opts = ReplicationOptions.build(**options)
    push = Replication(a, b, opts, run=_run, direction="push", on_event=on_event)
    pull = Replication(b, a, opts, run=_run, direction="pull", on_event=on_event)
    return SyncReplication(a, b, (push, pull))
