"""A plain SQLite file of tables, for an index a program keeps beside its stores.

Documents suit records; an index that is counted, grouped and sorted across
hundreds of databases (the county's) suits tables. :class:`TableFile` is the one
way such a file is opened, written and read, so that ``sqlite3`` stays inside
this package:

* the schema is the caller's SQL, with a version number (``PRAGMA user_version``):
  a file of another version raises :class:`SchemaVersionError` (an index is
  rebuilt from its sources rather than migrated);
* WAL, ``synchronous=NORMAL`` (a committed transaction survives the process being
  killed), created readable by its owner alone (0600), as the stores are;
* writes go through :meth:`TableFile.write`: one function run inside ``BEGIN
  IMMEDIATE`` ... ``COMMIT`` on the writer's own thread, all or nothing;
* reads go through :meth:`TableFile.read`: one function run inside one read
  transaction (a consistent snapshot, even while another process writes) on one of
  ``readers`` threads, each with its own connection (WAL lets them read at once, and
  ``sqlite3`` lets go of the GIL while SQLite works), so a large read never holds the
  event loop and one slow read does not queue every other.

Rows come back as dicts of column name to value.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sync.embedded._schema import use_wal
from sync.errors import CouchError

__all__ = ["SchemaVersionError", "TableFile", "Transaction"]

T = TypeVar("T")
Row = dict[str, Any]


class SchemaVersionError(CouchError):
    """The file was made for another version of its schema."""

    status = 500
    error = "schema_version"


class Transaction:
    """What a read or write function is given: SQL in, rows out (no cursor to keep)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._conn.execute(sql, params)
        names = [c[0] for c in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        return self._conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)


def _connect(path: str) -> sqlite3.Connection:
    # isolation_level=None: the transactions are begun and ended here, explicitly.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    use_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class TableFile:
    """``await TableFile.open(path, schema, version=1)``; then ``write`` and ``read``."""

    def __init__(self, path: str, *, readers: int = 2) -> None:
        self.path = str(Path(path).resolve())
        self._writer: sqlite3.Connection | None = None
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()  # each reader thread's connection
        self._closed = False
        name = Path(path).stem
        self._write_thread = ThreadPoolExecutor(1, f"tables-w-{name}")
        self._read_threads = ThreadPoolExecutor(readers, f"tables-r-{name}")

    @classmethod
    async def open(cls, path: str, schema: str, *, version: int, readers: int = 2) -> TableFile:
        """Open the file at ``path``, creating it with ``schema`` (statements separated by
        ``;``) when it is new. A file of another ``version`` raises
        :class:`SchemaVersionError`."""
        tables = cls(path, readers=readers)
        try:
            await tables._on(tables._write_thread, tables._open_writer, schema, version)
        except BaseException:
            await tables.close()
            raise
        return tables

    def _open_writer(self, schema: str, version: int) -> None:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        conn = self._writer = _connect(self.path)
        conn.execute("BEGIN IMMEDIATE")  # several processes may open a new file at once
        try:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found == 0:
                for statement in schema.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(version)}")
            elif found != version:
                raise SchemaVersionError(
                    f"{self.path} holds tables of version {found}, not {version}"
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def _on(self, thread: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(thread, functools.partial(fn, *args))

    async def write(self, fn: Callable[[Transaction], T]) -> T:
        """Run ``fn`` in one write transaction: everything it did is committed together,
        or, if it raises, none of it."""
        return await self._on(self._write_thread, self._write, fn)

    def _write(self, fn: Callable[[Transaction], T]) -> T:
        conn = self._writer
        if conn is None:
            raise RuntimeError(f"{self.path} is closed")
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(Transaction(conn))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    async def read(self, fn: Callable[[Transaction], T]) -> T:
        """Run ``fn`` in one read transaction (one snapshot of the file)."""
        return await self._on(self._read_threads, self._read, fn)

    def _read(self, fn: Callable[[Transaction], T]) -> T:
        if self._closed:
            raise RuntimeError(f"{self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _connect(self.path)
            self._readers.append(conn)
        conn.execute("BEGIN")
        try:
            return fn(Transaction(conn))
        finally:
            conn.execute("COMMIT")

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One query's rows (a read of its own)."""
        return await self.read(lambda tx: tx.rows(sql, params))

    async def close(self) -> None:
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._read_threads.shutdown)
        for conn in self._readers:
            conn.close()
        self._readers.clear()
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(RuntimeError):  # the thread pool already shut down
                await self._on(self._write_thread, writer.close)
        await loop.run_in_executor(None, self._write_thread.shutdown)
