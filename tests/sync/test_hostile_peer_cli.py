"""``village-app replicate`` against a hostile peer (``hostilepeer.py``): what it prints,
how it exits, and that Ctrl-C and SIGTERM end it with its checkpoint safe.

Time limits here are guards against a hang; no assertion is made on elapsed time."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hostilepeer import ROW, Behaviour, Exchange, HostilePeer, endless, failing, silent, trickle

from sync.embedded import open_embedded_database
from sync.errors import NotFoundError
from sync.replication import ReplicationOptions, replication_id

ROOT = Path(__file__).resolve().parents[2]
GUARD = 90.0  # seconds: a hang guard only
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class Run:
    code: int
    out: str
    err: str


class Cli:
    """One ``village-app replicate`` child process, read line by line when asked."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self.child = child
        self.out_lines: list[str] = []

    @classmethod
    async def start(cls, *args: str) -> Cli:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "village_app.cli",
            "replicate",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        return cls(child)

    async def wait_for_line(self, text: str) -> None:
        assert self.child.stdout is not None
        while not any(text in line for line in self.out_lines):
            line = await asyncio.wait_for(self.child.stdout.readline(), GUARD)
            assert line, f"the command ended before printing {text!r}: {self.out_lines}"
            self.out_lines.append(line.decode())

    async def finish(self) -> Run:
        try:
            out, err = await asyncio.wait_for(self.child.communicate(), GUARD)
        finally:
            if self.child.returncode is None:
                self.child.kill()
                await self.child.wait()
        assert self.child.returncode is not None
        return Run(self.child.returncode, "".join(self.out_lines) + out.decode(), err.decode())


async def replicate_cli(*args: str) -> Run:
    return await (await Cli.start(*args)).finish()


@pytest.fixture
async def peer() -> AsyncIterator[HostilePeer]:
    async with HostilePeer() as fake:
        yield fake


def _after_the_first_page(stall: Behaviour) -> Behaviour:
    """Serve the first page of the feed, then ``stall`` on every later read."""

    async def behaviour(ex: Exchange) -> None:
        if ex.request.query.get("since", "0") == "0":
            await ex.peer.serve(ex)
        else:
            await stall(ex)

    return behaviour


async def _checkpoint(peer: HostilePeer, path: Path) -> Any:
    laptop = await open_embedded_database(str(path))
    try:
        rep_id = replication_id(peer.url, laptop.location, ReplicationOptions())
        return (await laptop.get_local(f"_local/{rep_id}"))["source_last_seq"]
    except NotFoundError:
        return None
    finally:
        await laptop.close()


async def test_an_endless_answer_ends_the_run_with_a_clear_error(
    peer: HostilePeer, tmp_path: Path
) -> None:
    peer.add_docs(3)
    peer.on["_changes"] = endless(b'{"results":[', ROW)
    run = await replicate_cli(peer.url, str(tmp_path / "laptop.sqlite"))
    assert run.code == 1
    assert re.search(r"^replication failed: .*answer too large", run.err, re.M), run.err
    assert peer.hung_up.is_set()
    assert await _checkpoint(peer, tmp_path / "laptop.sqlite") is None


@pytest.mark.parametrize(
    ("stall", "sig", "code"),
    [
        ("trickle", signal.SIGINT, 130),
        ("silent", signal.SIGTERM, 143),
        ("trickle", signal.SIGTERM, 143),
        ("silent", signal.SIGINT, 130),
    ],
    ids=["trickle-SIGINT", "silent-SIGTERM", "trickle-SIGTERM", "silent-SIGINT"],
)
async def test_a_signal_ends_a_stalled_run_and_a_rerun_resumes(
    peer: HostilePeer, tmp_path: Path, stall: str, sig: signal.Signals, code: int
) -> None:
    # One byte a second once kept the command alive for ever, deaf to Ctrl-C and
    # SIGTERM; a silent peer took 121 s, with "coroutine 'sleep' was never awaited".
    peer.add_docs(120)
    peer.on["_changes"] = _after_the_first_page(
        trickle(b'{"results":[') if stall == "trickle" else silent()
    )
    laptop = tmp_path / "laptop.sqlite"
    cli = await Cli.start(peer.url, str(laptop), "--batch-size", "10")
    await cli.wait_for_line("batch 5:")  # the first page (50 changes) is written and checkpointed
    await asyncio.wait_for(peer.stalled.wait(), GUARD)
    cli.child.send_signal(sig)
    run = await cli.finish()

    assert run.code == code, run.err
    assert re.search(r"^cancelled \S+ -> \S+: 50 docs read, 50 written", run.out, re.M), run.out
    assert f"interrupted by {sig.name}" in run.err
    assert "never awaited" not in run.err and "Traceback" not in run.err
    # Stopped in the middle of the stalled answer, not after it: no retry, no deadline.
    assert peer.hung_up.is_set() and len(peer.seen("_changes")) == 2
    assert "connection trouble" not in run.err
    assert await _checkpoint(peer, laptop) == 50

    peer.on.clear()
    again = await replicate_cli(peer.url, str(laptop), "--batch-size", "10")
    assert again.code == 0, again.err
    assert peer.seen("_changes")[2].query["since"] == "50"
    assert "70 docs read, 70 written, 0 denied" in again.out


ANSI_REASON = "\x1b[2J\x1b[31mvillage scope\x07\x1b]0;pwned\x07\r" + "x" * 5000


def _denying(which: str) -> Behaviour:
    """A ``_bulk_docs`` that refuses every document (``all``), or every other one."""

    async def behaviour(ex: Exchange) -> None:
        docs = (ex.request.json() or {}).get("docs", [])
        refused = []
        for doc in docs:
            if which == "all" or int(doc["_id"].split(":")[1]) % 2:
                refused.append(
                    {
                        "id": doc["_id"] + "\x1b[8m",
                        "rev": doc["_rev"],
                        "error": "forbidden\x1b[5m",
                        "reason": ANSI_REASON,
                    }
                )
            else:
                ex.peer.put(doc)
        await ex.send_json(201, refused)

    return behaviour


async def _laptop_with(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "laptop.sqlite"
    laptop = await open_embedded_database(str(path))
    try:
        await laptop.bulk_docs([{"_id": f"record:{i:04}", "i": i} for i in range(n)])
    finally:
        await laptop.close()
    return path


def _assert_printable(run: Run) -> None:
    for text in (run.out, run.err):
        assert not CONTROL.search(text.replace("\n", "")), repr(text[:300])
        assert max(len(line) for line in text.splitlines()) < 400


async def test_a_run_whose_every_write_was_denied_fails(peer: HostilePeer, tmp_path: Path) -> None:
    peer.on["_bulk_docs"] = _denying("all")
    run = await replicate_cli(str(await _laptop_with(tmp_path, 411)), peer.url)
    assert run.code == 1, run.err
    assert "0 written, 411 denied" in run.out
    assert re.search(r"^replication failed: the target refused all 411 revisions", run.err, re.M)
    assert "village scope" in run.err
    _assert_printable(run)


async def test_a_run_with_some_writes_denied_says_so_and_exits_3(
    peer: HostilePeer, tmp_path: Path
) -> None:
    peer.on["_bulk_docs"] = _denying("odd")
    run = await replicate_cli(str(await _laptop_with(tmp_path, 411)), peer.url)
    assert run.code == 3, run.err
    assert "206 written, 205 denied" in run.out
    assert re.search(r"^incomplete: the target refused 205 of 411 revisions", run.err, re.M)
    _assert_printable(run)


async def test_caught_up_is_said_only_when_caught_up(peer: HostilePeer, tmp_path: Path) -> None:
    # "caught up; waiting for changes" came with every retry of a failing peer.
    peer.add_docs(5)
    peer.on["_changes"] = failing(2)
    cli = await Cli.start(peer.url, str(tmp_path / "kiosk.sqlite"), "--continuous")
    await cli.wait_for_line("caught up; waiting for changes")
    cli.child.send_signal(signal.SIGINT)
    run = await cli.finish()
    assert run.code == 0, run.err
    assert run.err.count("connection trouble") == 2
    assert run.out.count("caught up") == 1
    assert "5 written" in run.out


async def test_help_documents_the_exit_statuses() -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "village_app.cli",
        "replicate",
        "--help",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, _ = await asyncio.wait_for(child.communicate(), GUARD)
    statuses = dict(
        line.strip().split(maxsplit=1)
        for line in out.decode().split("exit status:")[1].splitlines()
        if line.strip()
    )
    assert sorted(statuses, key=int) == ["0", "1", "2", "3", "130", "143"]
    assert "denied every revision" in statuses["1"] and "denied some" in statuses["3"]
    assert "SIGINT" in statuses["130"] and "SIGTERM" in statuses["143"]
