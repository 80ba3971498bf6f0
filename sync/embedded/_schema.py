"""The SQLite file: schema, connection settings, integrity check.

Tables (one file per database):

* ``meta(key, value)`` — ``update_seq`` (last sequence handed out), ``revs_limit``.
* ``docs(id, seq, winner, deleted, body_id, tree, type, village, matter,
  stage, created_at)`` — one row per document (unique id): its latest
  sequence (unique index ``docs_seq``: the changes feed is an index range
  scan), the winning revision, whether it is a tombstone and where its body
  is, the whole revision tree as JSON (see :mod:`sync.revtree`; each node
  names its body's row), and the winning body's values of the fields the app
  queries, each indexed, so ``find()`` narrows candidates without scanning
  bodies (how values are stored so that SQLite's cross-type order serves
  CouchDB collation: see ``_find.py``). A field the winner lacks (and every
  field of a tombstone) is NULL, and the indexes are partial (``WHERE f IS
  NOT NULL``): a document costs an index entry only for the fields it has.
* ``bodies(id, body)`` — the body of every revision we hold (CouchDB also
  keeps non-leaf bodies until compaction), as compact JSON without
  ``_id``/``_rev``/``_deleted`` and with ``_attachments`` as metadata only:
  UTF-8 in a BLOB as orjson writes it, or TEXT where the standard encoder had
  to (see ``_docs.encode``; files written before, all TEXT, read the same).
  Found through the tree, never searched, so it needs no index besides its
  row id, and new bodies are appended at the end of the table: ingesting
  touches few pages.
* ``attachments(digest, data)`` — attachment bytes, content-addressed by their
  ``md5-`` digest, so an unchanged attachment is stored once however many
  revisions carry it. (No compaction: unreferenced blobs stay.)
* ``local_docs(id, rev, body)`` — ``_local/`` documents: no history, no seq.

Durability: WAL with ``synchronous=NORMAL``. A committed transaction survives
the process being killed (the WAL is in the OS page cache; the crash test
kills a writer 20 times), and only a power loss or OS crash may lose the last
commits, never corrupting the file. ``open_embedded_database(...,
synchronous="FULL")`` makes every commit survive power loss too, at the cost
of an fsync per ``bulk_docs``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import urllib.parse
from pathlib import Path

from sync.errors import NotFoundError, ReadOnlyStorageError, StorageFullError

INDEXED_FIELDS = ("type", "village", "matter", "stage", "created_at")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('update_seq', 0), ('revs_limit', 1000);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    winner TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    body_id INTEGER NOT NULL,
    tree TEXT NOT NULL,
    {", ".join(INDEXED_FIELDS)}
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_seq ON docs(seq);
{
    "".join(
        f"CREATE INDEX IF NOT EXISTS docs_{f} ON docs({f}) WHERE {f} IS NOT NULL;"
        for f in INDEXED_FIELDS
    )
}
CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, body NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (digest TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS local_docs (
    id TEXT PRIMARY KEY, rev INTEGER NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID;
"""


def _create_private(path: str) -> None:
    """Create a missing database file readable by its owner alone (0600): the records name
    real people. SQLite takes an empty file as an empty database, and gives its -wal and
    -shm files the main file's permissions."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def connect(
    path: str,
    *,
    create: bool,
    synchronous: str = "NORMAL",
    init: bool = True,
    autocheckpoint: int = 4000,
    read_only: bool = False,
) -> sqlite3.Connection:
    """Open (and with ``create`` initialise) a database file; ``init=False`` for a second
    connection to a file already opened (and so initialised). ``autocheckpoint`` is the
    WAL size in pages at which a commit checkpoints (see ``_checkpoint.py``).

    A file (or folder) that cannot be written raises :class:`ReadOnlyStorageError`; with
    ``read_only`` it is opened for reading alone (:func:`connect_read_only`)."""
    if not create and not Path(path).exists():
        raise NotFoundError("Database does not exist.", docid=path)
    if read_only:
        return connect_read_only(path)
    try:
        return _connect(path, create, synchronous, init, autocheckpoint)
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, path) from exc
    except PermissionError as exc:  # creating the file in a folder we may not write
        raise ReadOnlyStorageError(_cannot_write(path, exc.strerror), docid=path) from exc


def use_wal(conn: sqlite3.Connection, *, wait: float = 30.0) -> None:
    """Put the file in WAL mode (it stays so). While another connection is making the same
    new file WAL, SQLite answers "database is locked" at once, without waiting out
    ``busy_timeout``: try again until it is done, for up to ``wait`` seconds, as
    ``busy_timeout`` would."""
    deadline = time.monotonic() + wait
    delay = 0.002
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _connect(
    path: str, create: bool, synchronous: str, init: bool, autocheckpoint: int
) -> sqlite3.Connection:
    if create:
        _create_private(path)
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    use_wal(conn)
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA cache_size = -20000")
    # Read pages straight from the OS page cache: a connection with a cold cache (the
    # point-read one, another process) then reads about as fast as a warm one.
    conn.execute("PRAGMA mmap_size = 268435456")
    conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
    if not init:
        return conn
    # Several processes may initialise one file at once: take the write lock.
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return conn


def connect_read_only(path: str) -> sqlite3.Connection:
    """Open an existing file for reading alone: a copy on a read-only stick, or a file or
    folder this user may not write (a replication source, ``serve`` on such a folder).

    ``mode=ro`` first. Reading a WAL file needs its ``-shm`` index, which SQLite creates
    beside the file, or finds there already; in a folder we cannot write, with no ``-shm``
    there, ``mode=ro`` cannot open it. Then ``immutable=1``: SQLite reads the main file
    alone, with no locks, no ``-shm`` and no look at a ``-wal``. That is only right when
    (1) the main file holds everything: a ``-wal`` with frames in it holds commits the
    main file lacks, which ``immutable`` would silently leave out, so such a file is
    refused (copy the folder somewhere writable); and (2) nothing writes the file while it
    is open: a writer could change pages under a reader that takes no locks. A folder we
    cannot even create a ``-shm`` in is one we cannot write; its owner could, but a WAL
    writer keeps a ``-wal`` while it has the file open, and there is none. Opening a file
    someone else is writing at this moment (with its ``-wal``, in a folder we cannot
    write) is refused by (1) too. What remains is a writer starting after we opened it:
    not guarded against; a read-only medium, or a copy, rules it out."""
    try:
        conn = _open_uri(path, "mode=ro")
        # Opening is lazy: the first read is what finds (or fails to make) the -shm.
        conn.execute("SELECT count(*) FROM meta").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        primary = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if primary not in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN):
            raise
        cause = exc
    wal = Path(path + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ReadOnlyStorageError(
            f"{path} cannot be read here: its last changes are still in {wal.name}, which "
            f"can be read only where a {Path(path).name}-shm file can be made beside it, and "
            f"its folder cannot be written ({cause}). Copy the folder, with {wal.name}, to a "
            "writable place and use the copy.",
            docid=path,
        ) from cause
    try:
        conn = _open_uri(path, "mode=ro&immutable=1")
        conn.execute("SELECT count(*) FROM meta").fetchone()
    except sqlite3.OperationalError as exc:
        raise storage_error(exc, path) from exc
    return conn


def _open_uri(path: str, query: str) -> sqlite3.Connection:
    uri = f"file:{urllib.parse.quote(str(Path(path).resolve()))}?{query}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA cache_size = -20000")
    conn.execute("PRAGMA mmap_size = 268435456")
    return conn


def storage_error(exc: sqlite3.OperationalError, path: str | None = None) -> Exception:
    """The named error for SQLite's "disk full" and "read-only" (a file, or a folder we
    cannot create the ``-wal`` and ``-shm`` files in); other errors as they are."""
    code = getattr(exc, "sqlite_errorcode", None) or 0
    if code == sqlite3.SQLITE_FULL:
        return StorageFullError("the disk is full: nothing was written")
    if code & 0xFF in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) or "readonly" in str(exc):
        return ReadOnlyStorageError(_cannot_write(path, str(exc)), docid=path)
    return exc


def _cannot_write(path: str | None, detail: str | None) -> str:
    if path is None:
        return f"the database cannot be written: {detail}"
    return f"{path} cannot be written: the file or its folder is read-only for this user ({detail})"


def integrity_check(conn: sqlite3.Connection) -> str:
    """``PRAGMA integrity_check``: ``"ok"`` or the problems found."""
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "\n".join(str(r[0]) for r in rows)
