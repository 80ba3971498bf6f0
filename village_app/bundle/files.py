"""A bundle's payload is an embedded store, filled and emptied by replication: the same
protocol as over the network (``new_edits: false``, revision histories, attachments,
checkpoints), with a file in place of the other side."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sync.database import Database
from sync.errors import CouchError
from sync.replication import Replication, replicate

#: Changes per batch into and out of a bundle (a checkpoint follows each).
BATCH_SIZE = 100


def remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@contextmanager
def workspace(folder: Path) -> Iterator[Path]:
    """A folder of its own, removed afterwards whatever happens."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def into_file(source: Database, path: Path, **options: Any) -> Replication:
    """Replicate ``source`` into a new embedded store at ``path`` (closed again after, so the
    file holds everything: SQLite folds its write-ahead log in on the last close)."""
    remove_store(path)
    rep = await replicate(source, str(path), batch_size=BATCH_SIZE, **options)
    if Path(str(path) + "-wal").exists() and Path(str(path) + "-wal").stat().st_size:
        raise CouchError(f"{path} was left with a write-ahead log: not a whole file")
    if not path.exists():  # nothing replicated, nothing opened: an empty store all the same
        from sync import open_database

        db = await open_database(str(path))
        await db.close()
    return rep


async def out_of_file(path: Path, target: Database) -> Replication:
    """Replicate the embedded store at ``path`` into ``target``, then drop the checkpoint it
    left on ``target`` (its source was a file that is about to go: nothing would resume
    from it)."""
    rep = await replicate(str(path), target, batch_size=BATCH_SIZE)
    if rep.replication_id:
        try:
            log = await target.get_local(f"_local/{rep.replication_id}")
            await target.delete_local(f"_local/{rep.replication_id}", log.get("_rev"))
        except CouchError:
            pass  # a checkpoint left behind costs nothing but its few bytes
    return rep
