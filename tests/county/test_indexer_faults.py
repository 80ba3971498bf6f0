"""The indexer killed mid-way and restarted, and the server going away and coming back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from county.dbupdates_proxy import DbUpdatesProxy
from county.helpers import Villages, matters_of
from village_app.county.index import CountyIndex
from village_app.county.index_command import run

ROOT = Path(__file__).resolve().parents[2]

# The child indexes one village at a time, in small batches, and says so on stdout.
CHILD = """
import asyncio, logging, sys
from village_app.county.indexer import CountyIndexer

logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")
logging.getLogger("village_app.county.indexer").setLevel(logging.INFO)

async def main():
    url, folder, prefix = sys.argv[1:4]
    async with CountyIndexer(url, folder, prefix=prefix, concurrency=1, batch_size=20,
                             use_db_updates=False) as indexer:
        await indexer.run_once()

asyncio.run(main())
"""

VILLAGES = 10


@pytest.mark.slow
async def test_sigkilled_indexer_resumes_without_reading_again_what_it_had(
    villages: Villages, tmp_path: Path
) -> None:
    codes = [f"9901010050{n:02d}" for n in range(VILLAGES)]
    written = {code: await villages.add(code, matters=25, seed=n) for n, code in enumerate(codes)}
    total = sum(len(d) for d in written.values())

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        villages.url,
        str(villages.folder),
        villages.prefix,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    indexed = 0
    while indexed < 4:
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        assert line, "the child ended before it was killed"
        indexed += b" indexed " in line
    child.send_signal(signal.SIGKILL)
    await child.wait()
    assert child.returncode == -signal.SIGKILL

    async with await CountyIndex.open(villages.folder) as index:
        done = {v.code for v in await index.villages()}
    assert 4 <= len(done) < VILLAGES, "killed mid-way"

    async with villages.indexer(use_db_updates=False) as resumed:
        stats = await resumed.run_once()
    async with villages.indexer(tmp_path / "from-zero", use_db_updates=False) as fresh:
        scratch = await fresh.run_once()

    left = sum(len(written[c]) for c in codes if c not in done)
    # Nothing the killed indexer had finished is read again, and the village it was in the
    # middle of resumes from its last checkpoint (at most `left` revisions in all).
    assert stats.dbs_indexed == VILLAGES - len(done)
    assert 0 < stats.docs_read <= left < total
    assert scratch.docs_read == total
    assert stats.requests < scratch.requests
    print(
        f"\nkilled after {len(done)} of {VILLAGES} villages; resume read {stats.docs_read} "
        f"revisions in {stats.requests} requests, from zero {scratch.docs_read} in "
        f"{scratch.requests}"
    )
    async with await CountyIndex.open(villages.folder) as index:
        rows = {v.code: v for v in await index.villages()}
        for code in codes:
            assert {m.id for m in await index.matters(code)} == set(matters_of(written[code]))
    async with await CountyIndex.open(tmp_path / "from-zero") as index:
        clean = {v.code: v for v in await index.villages()}
    for code in codes:
        mine, theirs = rows[code], clean[code]
        assert (mine.doc_count, mine.matters_by_stage, mine.overdue, mine.reviews_pending) == (
            theirs.doc_count,
            theirs.matters_by_stage,
            theirs.overdue,
            theirs.reviews_pending,
        )


async def test_couchdb_down_is_one_clear_line_then_one_when_it_is_back(
    villages: Villages,
    db_updates_proxy: DbUpdatesProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxied = villages.via(db_updates_proxy.url)
    await proxied.add("990101006001", matters=2)
    db_updates_proxy.down = True
    indexer = proxied.indexer(use_db_updates=False, poll_interval=0.1)
    caplog.set_level(logging.DEBUG)
    task = asyncio.create_task(indexer.run_forever())
    try:
        for _ in range(200):
            if indexer.stats.retries >= 5:
                break
            await asyncio.sleep(0.05)
        assert indexer.stats.retries >= 5, "it kept trying"
        down = [r for r in caplog.records if r.levelno >= logging.WARNING]
        db_updates_proxy.down = False
        for _ in range(200):
            # A whole pass, not only its first village: the line that says the server is
            # back comes once the pass is done (stopped halfway, it never comes).
            if indexer.stats.passes:
                break
            await asyncio.sleep(0.05)
        assert indexer.stats.dbs_indexed == 1, "it indexed once the server was back"
    finally:
        indexer.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await indexer.close()

    assert [r.name for r in down] == ["village_app.county.indexer"]
    (line,) = [r.getMessage() for r in down]
    assert "does not answer" in line and "\n" not in line
    assert indexer.stats.outages == 1
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in loud][1:] == [
        f"county indexer: CouchDB at {indexer.server_location} answers again"
    ]
    assert not any(r.exc_info or "Traceback" in r.getMessage() for r in caplog.records)


async def test_a_database_that_cannot_be_read_is_tried_again_without_holding_the_rest(
    villages: Villages,
    db_updates_proxy: DbUpdatesProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxied = villages.via(db_updates_proxy.url)
    await proxied.add("990101006001", matters=2)
    await proxied.add("990101006002", matters=2, seed=1)
    broken = proxied.name("990101006002")
    db_updates_proxy.refuse.add(broken)
    caplog.set_level(logging.DEBUG)
    async with proxied.indexer() as indexer:
        first = await indexer.run_once()
        assert (first.mode, first.dbs_indexed, first.failed) == ("db_updates", 1, [broken])
        await proxied.add("990101006003", matters=2, seed=2)
        second = await indexer.run_once()  # the new one, and the broken one again
        assert (second.dbs_indexed, second.failed) == (2, [broken, broken])
        db_updates_proxy.refuse.clear()
        third = await indexer.run_once()
        assert third.dbs_indexed == 3

    # Said once while it failed (twice), and once when it worked again.
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 2
    assert loud[0].startswith(f"county indexer: {broken} left for the next pass: BadRequest")
    assert loud[1] == f"county indexer: {broken} indexed again"
    async with await CountyIndex.open(villages.folder) as index:
        assert len(await index.villages()) == 3


async def test_index_command_with_no_server_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    status = await run(f"http://admin:secret@127.0.0.1:{port}", tmp_path, once=True)
    err = capsys.readouterr().err
    assert status == 3
    assert err.count("\n") == 1 and err.startswith("county index: NetworkError")
    assert "secret" not in err
