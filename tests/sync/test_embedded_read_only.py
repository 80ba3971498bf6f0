"""A database file opened read-only: reads as usual, every write refused with
:class:`ReadOnlyStorageError` (never SQLite's own error), the file left as it was; a
replication from it keeps its checkpoint on the target alone. (Files and folders that
this user cannot write, opened by the commands, are in tests/commands/test_read_only.py.)"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from sync import open_database, replicate
from sync.embedded import open_embedded_database
from sync.errors import BadRequestError, ReadOnlyStorageError
from sync.replication import State


async def _store(path: Path, docs: int = 5) -> None:
    db = await open_embedded_database(str(path))
    try:
        await db.bulk_docs([{"_id": f"doc{i}", "n": i} for i in range(docs)])
    finally:
        await db.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_reads_work_and_every_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "village.sqlite"
    await _store(path)
    before = _digest(path)
    db = await open_embedded_database(str(path), create=False, read_only=True)
    try:
        assert db.read_only
        assert (await db.get("doc3"))["n"] == 3
        assert (await db.info())["doc_count"] == 5
        assert len((await db.changes())["results"]) == 5
        assert len((await db.find({"n": {"$gt": 2}}))["docs"]) == 2
        replicated = {"_id": "doc0", "_rev": "9-" + "a" * 32, "n": 9}
        writes: list[Callable[[], Awaitable[object]]] = [
            lambda: db.put({"_id": "new"}),
            lambda: db.bulk_docs([replicated], new_edits=False),
            lambda: db.put_local({"_id": "checkpoint", "seq": 1}),
            lambda: db.set_revs_limit(10),
        ]
        for write in writes:
            with pytest.raises(ReadOnlyStorageError, match="open read-only"):
                await write()
        assert (await db.get("doc0"))["n"] == 0
    finally:
        await db.close()
    assert _digest(path) == before


async def test_read_only_is_for_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(BadRequestError):
        await open_embedded_database(str(tmp_path / "new.sqlite"), create=True, read_only=True)
    with pytest.raises(BadRequestError):
        await open_database("http://127.0.0.1:9/db", create=False, read_only=True)


async def test_a_replication_from_a_read_only_source_checkpoints_on_the_target(
    tmp_path: Path,
) -> None:
    source_path, target_path = tmp_path / "source.sqlite", tmp_path / "target.sqlite"
    await _store(source_path, docs=30)
    source = await open_database(str(source_path), create=False, read_only=True)
    target = await open_database(str(target_path))
    try:
        rep = replicate(source, target, batch_size=10)
        await rep
        assert rep.state is State.COMPLETE
        assert rep.counters.docs_written == 30
        assert rep.replication_id is not None
        log = await target.get_local(rep.replication_id)
        assert log["source_read_only"] is True
        again = replicate(source, target, batch_size=10)
        await again
        assert again.counters.docs_read == 0  # resumed from the target's log alone
    finally:
        await source.close()
        await target.close()
