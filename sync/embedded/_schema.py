"""The SQLite file: schema, connection settings, integrity check.

Tables (one file per database):

* ``meta(key, value)`` — ``update_seq`` (last sequence handed out), ``revs_limit``.
* ``docs(id, seq, winner, deleted, tree)`` — one row per document: its latest
  sequence (unique index ``docs_seq``: the changes feed is an index scan), the
  winning revision and whether it is a tombstone, and the whole revision tree
  as JSON (see :mod:`sync.revtree`).
* ``revs(doc_id, rev, body)`` — the body of every revision we hold (CouchDB
  also keeps non-leaf bodies until compaction); the body is JSON without
  ``_id``/``_rev``/``_deleted``, with ``_attachments`` as metadata only.
* ``attachments(digest, data)`` — attachment bytes, content-addressed by their
  ``md5-`` digest, so an unchanged attachment is stored once however many
  revisions carry it. (No compaction: unreferenced blobs stay.)
* ``local_docs(id, rev, body)`` — ``_local/`` documents: no history, no seq.
* ``fields(id, type, village, matter, stage, created_at)`` — the winning,
  non-deleted documents' values of the fields the app queries, each indexed,
  so ``find()`` narrows candidates without scanning bodies. Values are stored
  so SQLite's cross-type order agrees with CouchDB collation where the
  pre-filter relies on it (see ``_find.py``).

Durability: WAL with ``synchronous=NORMAL``. A committed transaction survives
the process being killed (the WAL is in the OS page cache); only a power loss
or OS crash may lose the last commits (never corrupting the file). Pass
``synchronous="FULL"`` to :func:`connect` for power-loss durability.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sync.errors import NotFoundError

INDEXED_FIELDS = ("type", "village", "matter", "stage", "created_at")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('update_seq', 0), ('revs_limit', 1000);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    winner TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    tree TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_seq ON docs(seq);
CREATE TABLE IF NOT EXISTS revs (
    doc_id TEXT NOT NULL,
    rev TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (doc_id, rev)
);
CREATE TABLE IF NOT EXISTS attachments (digest TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS local_docs (
    id TEXT PRIMARY KEY, rev INTEGER NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fields (
    id TEXT PRIMARY KEY, {", ".join(INDEXED_FIELDS)}
) WITHOUT ROWID;
{"".join(f"CREATE INDEX IF NOT EXISTS fields_{f} ON fields({f});" for f in INDEXED_FIELDS)}
"""


def connect(path: str, *, create: bool, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """Open (and with ``create`` initialise) a database file."""
    if not create and not Path(path).exists():
        raise NotFoundError("Database does not exist.", docid=path)
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA cache_size = -20000")
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


def integrity_check(conn: sqlite3.Connection) -> str:
    """``PRAGMA integrity_check``: ``"ok"`` or the problems found."""
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "\n".join(str(r[0]) for r in rows)
