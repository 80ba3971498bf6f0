"""The two sides of a replication as the protocol code sees them.

Each database is wrapped so that every call on it

* turns a 401 into "wrong credentials for <location>" (the location never
  carries the password), so the user learns *which* side refused them;
* checks for ``cancel()`` right after it returns, so a cancelled replication
  stops at the first await rather than at the end of a batch;

and the HTTP traffic of both sides is summed into the replication's counters.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, cast

from sync.database import Database
from sync.errors import ReadOnlyStorageError, UnauthorizedError
from sync.replication.options import public_location
from sync.replication.state import Counters, Replication


def wrong_credentials(location: str, exc: UnauthorizedError) -> UnauthorizedError:
    error = UnauthorizedError(f"wrong credentials for {public_location(location)}")
    error.__cause__ = exc
    return error


#: Calls whose result must be recorded before a cancellation is noticed: a write that
#: landed is counted (and a checkpoint kept) even when ``cancel()`` came meanwhile.
_WRITES = frozenset({"bulk_docs", "put_local"})


class _Side:
    """A :class:`Database` look-alike delegating to ``db`` (see the module docstring)."""

    def __init__(self, db: Database, replication: Replication) -> None:
        self._db = db
        self._rep = replication

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._db, name)
        if not callable(value) or name.startswith("_"):
            return value
        return self._guard(value, check_cancel=name not in _WRITES)

    def _guard(
        self, method: Callable[..., Awaitable[Any]], *, check_cancel: bool
    ) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await method(*args, **kwargs)
            except UnauthorizedError as exc:
                raise wrong_credentials(self._db.location, exc) from exc
            if check_cancel:
                self._rep.check_cancelled()
            return result

        return guarded


def guarded(db: Database, replication: Replication) -> Database:
    return cast(Database, _Side(db, replication))


async def open_side(
    spec: Database | str, *, create: bool, opened: list[Database], source: bool = False
) -> Database:
    """The database ``spec`` names; one opened here is appended to ``opened`` (to close later).

    A ``source`` file this user cannot write (a copy on a read-only stick, a folder of
    another user's) is opened read-only: a source is only read, but for its checkpoint,
    which is then kept on the target alone (:mod:`.checkpoint`)."""
    if isinstance(spec, Database):
        return spec
    from sync import open_database  # late: the sync package imports this one

    try:
        try:
            db = await open_database(spec, create=create)
        except ReadOnlyStorageError:
            if not source or create:
                raise
            db = await open_database(spec, create=False, read_only=True)
    except UnauthorizedError as exc:
        raise wrong_credentials(spec, exc) from exc
    opened.append(db)
    return db


class Traffic:
    """HTTP requests and bytes of this replication, where a side is an HTTP database (only
    those have ``stats``). Counted per task (:func:`sync.couch_http.count_task_traffic`),
    so the two halves of a sync sharing their databases each count only their own; so
    create it in the replication's own task."""

    def __init__(self, counters: Counters, *dbs: Database) -> None:
        self._counters = counters
        self._stats: Any = None
        if any(getattr(db, "stats", None) is not None for db in dbs):
            # Late: only a run with an HTTP side needs the HTTP transport loaded.
            from sync.couch_http import CouchStats, count_task_traffic

            self._stats = CouchStats()
            count_task_traffic(self._stats)

    def refresh(self) -> None:
        if self._stats is None:
            return
        self._counters.requests = self._stats.requests
        self._counters.bytes_sent = self._stats.bytes_sent
        self._counters.bytes_received = self._stats.bytes_received
