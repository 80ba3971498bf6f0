"""``village-app replicate``: plain lines in logs, a bar on a terminal, one summary,
exit status and reasons (the wrong-password case is in ``test_replication_faults``)."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import signal
import sys
from pathlib import Path

from replication_helpers import MakeDb

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(
    r"^replicated (\S+) -> (\S+): (\d+) docs read, (\d+) written, (\d+) denied in [\d.]+ s", re.M
)


async def cli(*args: str, stdout: int | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "village_app.cli",
        "replicate",
        *args,
        stdout=stdout if stdout is not None else asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )


async def test_plain_lines_and_a_summary_when_not_on_a_terminal(
    make_db: MakeDb, couch_url: str
) -> None:
    laptop = await make_db("embedded")
    county = await make_db("couch")
    await laptop.bulk_docs([{"_id": f"r{i:03}", "published": i % 2 == 0} for i in range(250)])

    child = await cli(laptop.location, f"{couch_url}/{county.name}", "--batch-size", "100")
    out, err = await asyncio.wait_for(child.communicate(), 120)

    assert child.returncode == 0, err.decode()
    text = out.decode()
    assert [line.split(":")[0] for line in text.splitlines()[:-1]] == [
        "batch 1",
        "batch 2",
        "batch 3",
    ]
    summary = SUMMARY.search(text)
    assert summary is not None, text
    assert summary.groups()[:2] == (laptop.location, county.location)
    assert summary.groups()[2:] == ("250", "250", "0")
    assert "secret" not in text + err.decode()

    # A selector, pulling into a new kiosk file.
    kiosk = laptop.location.replace(".sqlite", "-kiosk.sqlite")
    child = await cli(f"{couch_url}/{county.name}", kiosk, "--selector", '{"published": true}')
    out, err = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == 0, err.decode()
    assert SUMMARY.search(out.decode()).groups()[2:] == ("125", "125", "0")  # type: ignore[union-attr]


async def test_a_progress_bar_on_a_terminal(make_db: MakeDb) -> None:
    source = await make_db("embedded")
    target = await make_db("embedded")
    await source.bulk_docs([{"_id": f"r{i:03}"} for i in range(120)])
    leader, follower = pty.openpty()
    try:
        child = await cli(source.location, target.location, "--batch-size", "40", stdout=follower)
        os.close(follower)
        follower = -1
        await asyncio.wait_for(child.wait(), 120)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    text = output.decode()
    assert child.returncode == 0
    assert "\r[" in text and "100%" in text
    assert "120 written" in text and SUMMARY.search(text.replace("\r", "\n"))


async def test_bad_arguments_and_failures_say_why(tmp_path: Path) -> None:
    child = await cli("a.sqlite", "b.sqlite", "--selector", "{not json")
    _, err = await child.communicate()
    assert child.returncode == 2 and "--selector is not valid JSON" in err.decode()

    child = await cli(str(tmp_path / "missing.sqlite"), str(tmp_path / "b.sqlite"))
    _, err = await child.communicate()
    assert child.returncode == 1
    assert err.decode().startswith("replication failed: ")


async def test_continuous_runs_until_interrupted(make_db: MakeDb) -> None:
    source = await make_db("embedded")
    target = await make_db("embedded")
    await source.bulk_docs([{"_id": "r1"}])
    child = await cli(source.location, target.location, "--continuous")
    assert child.stdout is not None
    lines: list[str] = []
    while not any("waiting for changes" in line for line in lines):
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line, "the command ended on its own"
        lines.append(line.decode())
    child.send_signal(signal.SIGINT)
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0
    assert "cancelled" in out.decode() and "1 written" in out.decode()
