"""The embedded store: a CouchDB-compatible database in one SQLite file.

``await open_embedded_database("village.sqlite")`` returns a
:class:`sync.database.Database`. The storage layout is described in
:mod:`sync.embedded._schema`; revision trees in :mod:`sync.revtree`; writes
in :mod:`sync.embedded._writer`; reads in ``_reader``, ``_changes`` and
``_find``. Only this package imports ``sqlite3``.

Threading (measured with ``bench/store.py``, figures in docs/benchmarks.md):
SQLite work is split by size. Work proportional to the data — ``bulk_docs``,
``changes``, ``all_docs``, ``find``, ``bulk_get``, ``info`` — runs on one
dedicated worker thread with its own connection: a 500-document batch holds
SQLite for tens of milliseconds and a full ``changes(include_docs)`` for far
longer, which on the event loop would freeze every other request of the web
app meanwhile. Point reads — ``get``/``open_revs``, ``_local`` docs,
``revs_diff``, ``revs_limit`` — run inline on a second, read-only-by-use
connection: they take tens of microseconds, while handing a call to a thread
and back costs far more on a busy 2-core laptop (the benchmark measured
random ``get``s about 4x faster inline: 28,000/s against 6,400/s). WAL lets
both connections read concurrently, and a read after an awaited write sees
that write. WAL checkpoints run on a third thread (``_checkpoint``), off the
write path. ``threading="thread"`` or ``"inline"`` put everything on one side
(used by the benchmark to compare; "inline" needs no threads at all).

Concurrency: several objects, threads or processes may open one file. WAL
lets readers proceed during a write; writers serialise on ``BEGIN
IMMEDIATE`` (with a 30 s busy timeout) and read the revision trees inside
that transaction, so no update is lost; each read runs in one read
transaction, i.e. one consistent snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

from sync.database import ChangesStyle, Database, Doc, OpenRevs
from sync.embedded import _attachments, _changes, _find, _notify, _reader, _schema, _writer
from sync.embedded._checkpoint import Checkpointer
from sync.embedded._docs import LOCAL_PREFIX, prepare, validate_id
from sync.errors import (
    BadRequestError,
    ConflictError,
    DocumentTooLargeError,
    NotFoundError,
    ReadOnlyStorageError,
)
from sync.revtree import parse_rev

__all__ = ["EmbeddedDatabase", "open_embedded_database"]

T = TypeVar("T")
_POLL = 0.2  # seconds between update_seq checks in a longpoll (other processes' writes)


Threading = Literal["hybrid", "thread", "inline"]


async def open_embedded_database(
    path: str,
    *,
    create: bool = True,
    threading: Threading = "hybrid",
    synchronous: str = "NORMAL",
    read_only: bool = False,
) -> EmbeddedDatabase:
    """Open (or with ``create`` create) the database stored in the file ``path``.

    ``synchronous="FULL"`` makes commits survive power loss too (see ``_schema``).
    A file or folder this user cannot write raises :class:`ReadOnlyStorageError`;
    ``read_only=True`` opens an existing file for reading alone (see
    :func:`sync.embedded._schema.connect_read_only`): every write then raises that error."""
    if read_only and create:
        raise BadRequestError("a database opened read-only cannot be created")
    db = EmbeddedDatabase(path, threading=threading, read_only=read_only)
    try:
        await db._run(db._open, create, synchronous)
        if threading == "hybrid":
            db._fast = _schema.connect(
                db.location,
                create=False,
                synchronous=synchronous,
                init=False,
                read_only=read_only,
            )
    except BaseException:
        await db.close()
        raise
    return db


class EmbeddedDatabase(Database):
    def __init__(
        self, path: str, *, threading: Threading = "hybrid", read_only: bool = False
    ) -> None:
        if threading not in ("hybrid", "thread", "inline"):
            raise ValueError(f"threading must be hybrid, thread or inline, not {threading!r}")
        self.location = str(Path(path).resolve())
        self.name = Path(path).stem
        #: Opened for reading alone: every write raises :class:`ReadOnlyStorageError`.
        self.read_only = read_only
        self._key = os.path.realpath(self.location)
        self._conn: sqlite3.Connection | None = None
        self._fast: sqlite3.Connection | None = None  # point reads on the loop ("hybrid")
        self._executor = (
            None if threading == "inline" else ThreadPoolExecutor(1, f"sqlite-{self.name}")
        )
        self._checkpointer = (
            None if threading == "inline" or read_only else Checkpointer(self.location, self.name)
        )

    # -- plumbing ------------------------------------------------------------
    def _open(self, create: bool, synchronous: str) -> None:
        # With a background checkpointer the writer checkpoints only as a safety net.
        self._conn = _schema.connect(
            self.location,
            create=create,
            synchronous=synchronous,
            autocheckpoint=4000 if self._checkpointer is None else 65536,
            read_only=self.read_only,
        )

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyStorageError(
                f"{self.location} is open read-only: nothing can be written to it",
                docid=self.location,
            )

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            return fn(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"database {self.name} is closed")
        return self._conn

    def _read(
        self,
        fn: Callable[..., T],
        *args: Any,
        _conn: sqlite3.Connection | None = None,
        **kwargs: Any,
    ) -> T:
        """Run ``fn(conn, ...)`` inside one read transaction (one snapshot)."""
        conn = _conn or self.conn
        conn.execute("BEGIN")
        try:
            return fn(conn, *args, **kwargs)
        finally:
            conn.execute("COMMIT")

    async def _read_async(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A read proportional to the data: on the worker thread (unless ``inline``)."""
        return await self._run(functools.partial(self._read, fn, *args, **kwargs))

    async def _point_read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A small read: inline on the second connection in ``hybrid`` mode."""
        if self._fast is not None:
            return self._read(fn, *args, _conn=self._fast, **kwargs)
        return await self._read_async(fn, *args, **kwargs)

    async def close(self) -> None:
        if self._fast is not None:
            self._fast.close()
            self._fast = None
        if self._conn is not None:
            if self.read_only:
                await self._run(self._conn.close)
            else:
                await self._run(self._close_main, self._conn)
            self._conn = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None

    @staticmethod
    def _close_main(conn: sqlite3.Connection) -> None:
        # SQLite's advice: refresh the planner's statistics where they have gone stale
        # (cheap; lets find() pick the most selective field index).
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA optimize")
        conn.close()

    async def explain_find(self, selector: Mapping[str, Any]) -> list[str]:
        """SQLite's plan for ``find(selector)``'s indexed pre-filter (diagnostics, tests)."""
        return await self._read_async(_find.explain, selector)

    async def integrity_check(self) -> str:
        """``PRAGMA integrity_check`` of the file: ``"ok"`` when sound."""
        return await self._run(lambda: _schema.integrity_check(self.conn))

    # -- database ------------------------------------------------------------
    def _info(self, conn: sqlite3.Connection) -> Doc:
        counts = dict(conn.execute("SELECT deleted, count(*) FROM docs GROUP BY deleted"))
        size = sum(
            os.path.getsize(p) for p in (self.location, self.location + "-wal") if os.path.exists(p)
        )
        return {
            "db_name": self.name,
            "doc_count": counts.get(0, 0),
            "doc_del_count": counts.get(1, 0),
            "update_seq": int(_writer.meta(conn, "update_seq")),
            "purge_seq": 0,
            "compact_running": False,
            "sizes": {"file": size},
            "instance_start_time": "0",
            "location": self.location,
        }

    async def info(self) -> Doc:
        return await self._read_async(self._info)

    async def revs_limit(self) -> int:
        return int(await self._point_read(_writer.meta, "revs_limit"))

    async def set_revs_limit(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise BadRequestError("revs_limit must be a positive integer")
        self._check_writable()

        def write() -> None:
            self.conn.execute("UPDATE meta SET value = ? WHERE key = 'revs_limit'", (n,))

        await self._run(write)

    # -- documents -----------------------------------------------------------
    async def get(
        self,
        docid: str,
        *,
        rev: str | None = None,
        revs: bool = False,
        revs_info: bool = False,
        conflicts: bool = False,
        deleted_conflicts: bool = False,
        open_revs: OpenRevs | None = None,
        latest: bool = False,
        attachments: bool = False,
    ) -> Any:
        validate_id(docid)
        for r in [rev] if open_revs is None else [] if open_revs == "all" else list(open_revs):
            if r is not None:
                parse_rev(r)
        opts = _reader.Options(revs, revs_info, conflicts, deleted_conflicts, attachments)
        if open_revs is not None:
            return await self._point_read(_reader.open_revs, docid, open_revs, latest, opts)
        return await self._point_read(_reader.get, docid, rev, opts)

    async def put(self, doc: Mapping[str, Any]) -> Doc:
        (result,) = await self.bulk_docs([doc])
        if "error" in result:
            cls = (
                DocumentTooLargeError if result["error"] == "document_too_large" else ConflictError
            )
            raise cls(result["reason"], docid=result["id"], rev=doc.get("_rev"))
        return dict(result)

    async def delete(self, docid: str, rev: str) -> Doc:
        validate_id(docid)
        if docid.startswith(LOCAL_PREFIX):
            return await self.delete_local(docid, rev)
        # CouchDB's DELETE opens the document first: a missing or deleted one is a 404.
        await self.get(docid)
        return await self.put({"_id": docid, "_rev": rev, "_deleted": True})

    async def bulk_docs(
        self, docs: Sequence[Mapping[str, Any]], *, new_edits: bool = True
    ) -> list[Doc]:
        if isinstance(docs, Mapping | str) or not isinstance(docs, Sequence):
            raise BadRequestError("docs must be a list of documents")
        prepared = [prepare(d, new_edits=new_edits) for d in docs]
        if not prepared:
            return []
        self._check_writable()
        results = await self._run(
            functools.partial(_writer.write, self.conn, prepared, new_edits=new_edits)
        )
        _notify.notify(self._key)
        if self._checkpointer is not None:
            self._checkpointer.note_written(len(prepared))
        return results

    async def all_docs(
        self,
        *,
        keys: Sequence[str] | None = None,
        include_docs: bool = False,
        startkey: str | None = None,
        endkey: str | None = None,
        limit: int | None = None,
        skip: int = 0,
        descending: bool = False,
    ) -> Doc:
        return await self._read_async(
            _reader.all_docs,
            keys=keys,
            include_docs=include_docs,
            startkey=startkey,
            endkey=endkey,
            limit=limit,
            skip=skip,
            descending=descending,
        )

    async def changes(
        self,
        *,
        since: Any = 0,
        limit: int | None = None,
        style: ChangesStyle = "main_only",
        include_docs: bool = False,
        conflicts: bool = False,
        doc_ids: Sequence[str] | None = None,
        selector: Mapping[str, Any] | None = None,
        feed: Literal["normal", "longpoll"] = "normal",
        timeout: float | None = None,
    ) -> Doc:
        if feed not in ("normal", "longpoll"):
            raise BadRequestError(f"unsupported feed {feed!r}")
        if since == "now":  # pin it: a longpoll re-reads from this seq, not from a new "now"
            since = int(await self._point_read(_writer.meta, "update_seq"))
        call = functools.partial(
            self._read_async,
            _changes.changes,
            since=since,
            limit=limit,
            style=style,
            include_docs=include_docs,
            conflicts=conflicts,
            doc_ids=doc_ids,
            selector=selector,
        )
        result = await call()
        if feed == "normal" or result["results"]:
            return result
        # longpoll: CouchDB's default timeout is 60 s.
        deadline = time.monotonic() + (60.0 if timeout is None else timeout)
        seen = result["last_seq"]  # update_seq as of that read: no write slips between
        while (remaining := deadline - time.monotonic()) > 0:
            await _notify.wait(self._key, min(remaining, _POLL))
            now = await self._point_read(_writer.meta, "update_seq")
            if now != seen:
                seen = now
                result = await call()
                if result["results"]:
                    return result
        return result

    async def revs_diff(self, mapping: Mapping[str, Sequence[str]]) -> Doc:
        if not isinstance(mapping, Mapping):
            raise BadRequestError("revs_diff needs an object of id -> revs")
        return await self._point_read(_reader.revs_diff, mapping)

    async def bulk_get(
        self, requests: Sequence[Mapping[str, Any]], *, revs: bool = True, attachments: bool = False
    ) -> Doc:
        opts = _reader.Options(revs=revs, attachments=attachments)
        return await self._read_async(_reader.bulk_get, requests, opts)

    # -- _local documents ----------------------------------------------------
    @staticmethod
    def _local_id(docid: str) -> str:
        return docid if docid.startswith(LOCAL_PREFIX) else LOCAL_PREFIX + docid

    async def get_local(self, docid: str) -> Doc:
        return await self._point_read(_reader.get_local, self._local_id(docid))

    async def put_local(self, doc: Mapping[str, Any]) -> Doc:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("_id"), str):
            raise BadRequestError("a _local document needs a string _id")
        return await self.put({**doc, "_id": self._local_id(doc["_id"])})

    async def delete_local(self, docid: str, rev: str | None = None) -> Doc:
        docid = self._local_id(docid)
        current = await self.get_local(docid)  # 404 when missing
        return await self.put({"_id": docid, "_rev": rev or current["_rev"], "_deleted": True})

    # -- attachments -----------------------------------------------------------
    async def get_attachment(
        self, docid: str, name: str, *, rev: str | None = None
    ) -> tuple[bytes, str]:
        doc = await self.get(docid, rev=rev)
        meta = (doc.get("_attachments") or {}).get(name)
        if meta is None:
            raise NotFoundError(f"Document is missing attachment {name}", docid=docid, rev=rev)
        data = await self._run(lambda: _attachments.load_blob(self.conn, meta["digest"]))
        return data, meta["content_type"]

    async def put_attachment(
        self, docid: str, name: str, data: bytes, content_type: str, *, rev: str | None = None
    ) -> Doc:
        import base64

        doc: dict[str, Any] = {"_id": docid}
        if rev is not None:
            doc = await self.get(docid, rev=rev)
        atts = dict(doc.get("_attachments") or {})
        atts[name] = {"content_type": content_type, "data": base64.b64encode(data).decode()}
        doc["_attachments"] = atts
        return await self.put(doc)

    # -- queries ---------------------------------------------------------------
    async def find(
        self,
        selector: Mapping[str, Any],
        *,
        sort: Sequence[str | Mapping[str, str]] | None = None,
        limit: int | None = None,
        skip: int = 0,
        fields: Sequence[str] | None = None,
    ) -> Doc:
        return await self._read_async(
            _find.find, selector, sort=sort, limit=limit, skip=skip, fields=fields
        )
