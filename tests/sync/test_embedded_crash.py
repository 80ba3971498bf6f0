"""Crash safety: a writer SIGKILLed at random moments never leaves a batch in part.

A forked child process bulk-writes numbered batches (new documents plus an update of
one shared ``tally`` document, all in one ``bulk_docs``) and prints each batch
number once ``bulk_docs`` has returned, i.e. after the commit. The parent kills
it at a random moment, 20 times, and after each kill reopens the file: every
batch the child reported is there whole, no batch is there in part, the tally
agrees with the batches, and ``PRAGMA integrity_check`` says ok.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from sync.embedded import open_embedded_database
from sync.errors import ConflictError, NotFoundError

BATCH = 60
ROUNDS = 20


async def _write_batches(path: str, out: int) -> None:
    """The child: write batch after batch, reporting each after bulk_docs returns."""
    db = await open_embedded_database(path)
    try:
        tally = await db.get("tally")
    except NotFoundError:
        tally = {"_id": "tally", "n": -1}
    os.write(out, b"ready\n")
    n = tally["n"] + 1
    while True:
        docs = [
            {"_id": f"b{n:05d}-{i:03d}", "type": "crash", "batch": n, "text": "村务公开" * 10}
            for i in range(BATCH)
        ]
        tally = {**tally, "n": n}
        results = await db.bulk_docs([*docs, tally])
        tally["_rev"] = results[-1]["rev"]
        os.write(out, f"{n}\n".encode())
        n += 1


def _spawn(path: Path) -> tuple[int, int]:
    """Fork a writer (fork, not a new interpreter: the 20 rounds stay fast). Returns (pid, read fd)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            os.close(read_fd)
            asyncio.run(_write_batches(str(path), write_fd))
        finally:
            os._exit(1)
    os.close(write_fd)
    return pid, read_fd


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


async def check(path: Path, reported: set[int]) -> None:
    db = await open_embedded_database(str(path))
    try:
        assert await db.integrity_check() == "ok"
        rows = (await db.all_docs(startkey="b", endkey="b\uffff"))["rows"]
        per_batch = Counter(int(row["id"][1:6]) for row in rows)
        partial = {b: c for b, c in per_batch.items() if c != BATCH}
        assert not partial, f"batches present in part: {partial}"
        lost = reported - set(per_batch)
        assert not lost, f"batches reported committed but missing: {sorted(lost)}"
        if per_batch:
            assert set(per_batch) == set(range(max(per_batch) + 1)), "a gap in the batches"
            tally = await db.get("tally")
            assert tally["n"] == max(per_batch), "the tally update was not atomic with its batch"
        info = await db.info()
        assert info["doc_count"] == len(rows) + (1 if per_batch else 0)
    finally:
        await db.close()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_sigkill_mid_write_loses_no_committed_batch_and_leaves_none_in_part(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    path = tmp_path / "crash.sqlite"
    reported: set[int] = set()
    rounds_with_writes = 0
    for _ in range(ROUNDS):
        pid, fd = _spawn(path)
        first = b""
        while not first.endswith(b"\n"):
            first += os.read(fd, 1)
        assert first == b"ready\n", f"writer failed to start (seed {seed})"
        time.sleep(rng.uniform(0.02, 0.2))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        batches = {int(line) for line in _read_all(fd).split()}
        rounds_with_writes += bool(batches)
        reported |= batches
        asyncio.run(check(path, reported))
    # The test means something only if the writer got to commit between the kills.
    assert rounds_with_writes >= ROUNDS // 2, f"too few rounds wrote anything (seed {seed})"


async def _write_own_docs(path: str, prefix: str) -> None:
    db = await open_embedded_database(path)
    for n in range(15):
        await db.bulk_docs(
            [{"_id": f"{prefix}{n:02d}-{i:02d}", "type": "multi"} for i in range(20)]
        )
        while True:  # both processes race to update one document: conflicts, never lost writes
            doc = await db.get("shared")
            try:
                await db.put({**doc, "hits": doc["hits"] + 1})
                break
            except ConflictError:
                continue
    await db.close()


def test_two_processes_write_one_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "multi.sqlite"

    async def seed() -> None:
        db = await open_embedded_database(str(path))
        await db.put({"_id": "shared", "hits": 0})
        await db.close()

    asyncio.run(seed())
    pids = []
    for prefix in ("p", "q"):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                asyncio.run(_write_own_docs(str(path), prefix))
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

    async def verify() -> None:
        db = await open_embedded_database(str(path))
        try:
            assert (await db.info())["doc_count"] == 1 + 2 * 15 * 20
            feed = await db.changes()
            seqs = [r["seq"] for r in feed["results"]]
            assert seqs == sorted(set(seqs))
            assert (await db.get("shared"))["hits"] == 30
            assert await db.integrity_check() == "ok"
        finally:
            await db.close()

    asyncio.run(verify())
