"""WAL checkpoints off the write path.

SQLite normally checkpoints inside the COMMIT that pushes the WAL past
``wal_autocheckpoint`` pages: that writer then copies the WAL into the main
file and waits for its fsync. Here the writing connection only checkpoints as
a safety net (a large threshold), and a :class:`Checkpointer` runs ``PRAGMA
wal_checkpoint(PASSIVE)`` on its own thread and connection every few thousand
documents written. A passive checkpoint never blocks readers or writers, so
the fsync waits leave the write path (``bench/store.py`` measured ingest
20-30 % faster in wall time on the 2-core test machine). Safety is unchanged:
a checkpoint only copies committed frames, and a crash mid-checkpoint is
repaired by SQLite when the file is next opened.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from sync.embedded import _schema

#: Documents written between two background checkpoints (~2-4 MB of WAL for 1 KB documents).
EVERY_DOCS = 2000


class Checkpointer:
    def __init__(self, path: str, name: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(1, f"sqlite-ckpt-{name}")
        self._conn: sqlite3.Connection | None = None
        self._pending = 0
        self._running: Future[None] | None = None
        self._lock = threading.Lock()

    def note_written(self, docs: int) -> None:
        """Count written documents; start a checkpoint when enough have piled up."""
        with self._lock:
            self._pending += docs
            if self._pending < EVERY_DOCS or (self._running and not self._running.done()):
                return
            self._pending = 0
            self._running = self._executor.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = _schema.connect(self._path, create=False, init=False)
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _close_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        self._executor.submit(self._close_conn)
        self._executor.shutdown(wait=True)
