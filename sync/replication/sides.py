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
from sync.errors import UnauthorizedError
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


async def open_side(spec: Database | str, *, create: bool, opened: list[Database]) -> Database:
    """The database ``spec`` names; one opened here is appended to ``opened`` (to close later)."""
    if isinstance(spec, Database):
        return spec
    from sync import open_database  # late: the sync package imports this one

    try:
        db = await open_database(spec, create=create)
    except UnauthorizedError as exc:
        raise wrong_credentials(spec, exc) from exc
    opened.append(db)
    return db


class Traffic:
    """HTTP requests and bytes of this replication: the growth of each side's ``stats``
    (only HTTP databases have them) since the replication began."""

    def __init__(self, counters: Counters, *dbs: Database) -> None:
        self._counters = counters
        self._stats = [s for s in (getattr(db, "stats", None) for db in _distinct(dbs)) if s]
        self._base = [self._read(s) for s in self._stats]

    @staticmethod
    def _read(stats: Any) -> tuple[int, int, int]:
        return (int(stats.requests), int(stats.bytes_sent), int(stats.bytes_received))

    def refresh(self) -> None:
        if not self._stats:
            return
        now = [self._read(s) for s in self._stats]
        totals = [sum(n[i] - b[i] for n, b in zip(now, self._base, strict=True)) for i in range(3)]
        self._counters.requests, self._counters.bytes_sent, self._counters.bytes_received = totals


def _distinct(dbs: tuple[Database, ...]) -> list[Database]:
    seen: list[Database] = []
    for db in dbs:
        if all(db is not s for s in seen):
            seen.append(db)
    return seen
