"""The :class:`Replication` object: explicit state, counters, progress events, cancel.

All mutable replication state lives here, in one small object, rather than in
flags shared by a long function (PouchDB's weak spot). The protocol itself is
in :mod:`sync.replication.runner` and :mod:`sync.replication.batch`.

Progress events are delivered to an async callback, ``on_event``, awaited in
order; a slow callback slows the replication down rather than piling events up,
and an exception it raises fails the replication.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sync.database import Database
from sync.replication.options import ReplicationOptions, public_location

T = TypeVar("T")


class State(enum.StrEnum):
    PENDING = "pending"  # created, not started
    ACTIVE = "active"  # transferring
    PAUSED = "paused"  # waiting: for changes (continuous) or before a retry
    COMPLETE = "complete"  # caught up (one-shot) and stopped
    FAILED = "failed"  # stopped by an error, see ``Replication.error``
    CANCELLED = "cancelled"  # stopped by ``cancel()``

    @property
    def finished(self) -> bool:
        return self in (State.COMPLETE, State.FAILED, State.CANCELLED)


class ReplicationCancelled(Exception):
    """Raised inside the replication at the first check after ``cancel()``."""


#: Seconds a replication is given after ``cancel()`` to stop at its next check, so that a
#: write under way lands and is counted; past them the await it is in is cancelled.
#: Either way every checkpoint stays true: one is written only after its batch is.
CANCEL_GRACE = 0.5


@dataclass
class Counters:
    """What a replication did so far. Names follow CouchDB's replication history entries."""

    changes_read: int = 0  # change rows seen on the source feed (after filtering)
    missing_checked: int = 0  # revisions asked about with revs_diff
    missing_found: int = 0  # revisions the target lacked
    docs_read: int = 0  # revisions fetched from the source
    docs_written: int = 0  # revisions the target stored
    attachments_written: int = 0  # attachments sent with those revisions (their data inline)
    docs_denied: int = 0  # revisions the target refused (see ``Replication.denied``)
    batches: int = 0  # batches written and checkpointed
    retries: int = 0  # attempts restarted after a transient failure
    last_seq: Any = None  # the last source sequence checkpointed (opaque)
    pending: int | None = None  # changes left on the source, when it says
    # HTTP traffic of this replication, summed over the sides that are HTTP databases.
    requests: int | None = None
    bytes_sent: int | None = None
    bytes_received: int | None = None

    def snapshot(self) -> Counters:
        return dataclasses.replace(self)


@dataclass(frozen=True)
class Denial:
    """A revision the target refused, e.g. a 403 from its ``validate_doc_update``."""

    docid: str
    rev: str | None
    error: str
    reason: str


EventKind = Literal["state", "change", "denied", "retry"]


@dataclass(frozen=True)
class ReplicationEvent:
    """One progress event.

    * ``state``: the state changed (``event.state``);
    * ``change``: a batch was written and checkpointed (``event.counters``);
    * ``denied``: the target refused a revision (``event.denial``);
    * ``retry``: a transient failure (``event.error``), retried after ``event.retry_in`` s.
    """

    kind: EventKind
    state: State
    direction: str | None
    counters: Counters
    denial: Denial | None = None
    error: BaseException | None = None
    retry_in: float | None = None


EventCallback = Callable[[ReplicationEvent], Awaitable[None]]
Runner = Callable[["Replication"], Coroutine[Any, Any, None]]


@dataclass(eq=False, repr=False)
class Replication:
    """One replication from ``source`` to ``target``.

    ``await replication`` starts it if needed and waits for the end: it returns
    the replication when complete or cancelled and raises the error when it
    failed (also kept in ``error``). ``start()`` runs it in the background.
    """

    source: Database | str
    target: Database | str
    options: ReplicationOptions
    run: Runner
    direction: str | None = None
    on_event: EventCallback | None = None
    state: State = State.PENDING
    counters: Counters = field(default_factory=Counters)
    denied: list[Denial] = field(default_factory=list)
    error: BaseException | None = None
    replication_id: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    _denied_keys: set[tuple[str, str | None]] = field(default_factory=set, repr=False)
    _cancel: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    # -- lifecycle --------------------------------------------------------
    def start(self) -> Replication:
        """Run in the background (idempotent); returns ``self``."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(self))
        return self

    async def wait(self) -> Replication:
        self.start()
        assert self._task is not None
        # Shielded: cancelling the waiter must not cancel the replication half-way.
        await asyncio.shield(self._task)
        if self.state is State.FAILED and self.error is not None:
            raise self.error
        return self

    def __await__(self) -> Generator[Any, None, Replication]:
        return self.wait().__await__()

    def __repr__(self) -> str:
        # Not the dataclass repr: a location given as a URL may carry a password.
        return (
            f"Replication({self.source_location!r} -> {self.target_location!r}, "
            f"state={self.state.value}, direction={self.direction!r})"
        )

    def cancel(self) -> None:
        """Ask the replication to stop. It does at its next check (after the current
        await), or, if that await is still under way after :data:`CANCEL_GRACE` seconds
        (a peer that never finishes its answer), by cancelling it there."""
        self._cancel.set()

    async def cancelled(self) -> None:
        """Return once ``cancel()`` has been called."""
        await self._cancel.wait()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def seconds(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.ended_at or time.monotonic()) - self.started_at

    @property
    def source_location(self) -> str:
        return _location(self.source)

    @property
    def target_location(self) -> str:
        return _location(self.target)

    # -- used by the runner -------------------------------------------------
    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise ReplicationCancelled()

    async def interruptible(self, awaitable: Awaitable[T]) -> T:
        """Await something that may take long (a longpoll, a back-off sleep), giving up
        as soon as ``cancel()`` is called."""
        # Made a task before anything else, even when cancelled already: a coroutine
        # dropped unstarted is reported "never awaited" when collected.
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._cancel.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (stopper, task):
                if not pending.done():
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await pending
        self.check_cancelled()
        return task.result()

    async def emit(self, kind: EventKind, **details: Any) -> None:
        if self.on_event is not None:
            event = ReplicationEvent(
                kind, self.state, self.direction, self.counters.snapshot(), **details
            )
            await self.on_event(event)

    async def set_state(self, state: State, *, error: BaseException | None = None) -> None:
        if state is self.state:
            return
        self.state = state
        if state.finished:
            self.ended_at = time.monotonic()
        await self.emit("state", error=error)

    async def deny(self, denial: Denial) -> None:
        # A batch written again after a cut link meets the same refusal again: one refusal.
        if (denial.docid, denial.rev) in self._denied_keys:
            return
        self._denied_keys.add((denial.docid, denial.rev))
        self.denied.append(denial)
        self.counters.docs_denied += 1
        await self.emit("denied", denial=denial)


def _location(db: Database | str) -> str:
    return public_location(db if isinstance(db, str) else db.location)
