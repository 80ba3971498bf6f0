"""A data folder or village file that cannot be written (issue 8, section 6): each command
that must write says so in one English line and exits 2, without a traceback; a read-only
``.sqlite`` works as a replication source; ``serve`` serves it read-only and says so.

The commands run as a user the file permissions bind. Root ignores them (CI runs as root),
so there each command runs as ``nobody`` (uid 65534) through ``setpriv`` (util-linux, in
Debian 12), over files owned by that user and stripped of their write bits: the owner's
own folder, write-protected, as a copy on a locked stick or a folder made read-only is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import sync
from village_app import accounts

VILLAGE = "330102001001"
USERNAME, PASSWORD = "secretary", "correct-horse-battery"
NOBODY = 65534


def _as_user() -> list[str]:
    """The prefix that runs a command as a user file permissions apply to ([] if we are one)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip(
            "running as root, whom file permissions do not bind, and without setpriv "
            "(util-linux) to run the commands as another user"
        )
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import village_app.cli"],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
    )
    if probe.returncode != 0:
        pytest.skip(
            f"running as root, and user {NOBODY} cannot run {sys.executable} with the app: "
            f"{probe.stderr.strip()[-300:]}"
        )
    return prefix


@pytest.fixture(scope="module")
def as_user() -> list[str]:
    return _as_user()


@pytest.fixture
def folder(as_user: list[str]) -> Iterator[Path]:
    """A fresh folder the command's user owns (pytest's tmp_path is closed to other users)."""
    top = Path(tempfile.mkdtemp(prefix="cunyi-ro-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        for path in [top, *top.rglob("*")]:
            with contextlib.suppress(OSError):
                path.chmod(0o700 if path.is_dir() else 0o600)
        shutil.rmtree(top)


def _give(path: Path, as_user: list[str]) -> None:
    """``path`` and all under it to the command's user (when the tests run as root)."""
    if as_user:
        for p in [path, *path.rglob("*")]:
            os.chown(p, NOBODY, NOBODY)


def _write_protect(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)


async def _village(path: Path, docs: int = 40) -> None:
    db = await sync.open_database(str(path))
    try:
        await accounts.add_user(db, USERNAME, PASSWORD, village=path.stem)
        await db.bulk_docs([{"_id": f"note:{i:03}", "type": "note", "n": i} for i in range(docs)])
    finally:
        await db.close()


def _locked_village(folder: Path, as_user: list[str]) -> Path:
    """A data folder with one village, write-protected; the village file's path."""
    data = folder / "data"
    data.mkdir(mode=0o755)
    village = data / f"{VILLAGE}.sqlite"
    asyncio.run(_village(village))
    village.chmod(0o644)
    _give(data, as_user)
    _write_protect(data)
    return village


def _cli(as_user: list[str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*as_user, sys.executable, "-m", "village_app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
    )


def _doc_ids(path: Path) -> set[str]:
    """The documents in ``path``, read from a copy: as root, reading it in place would leave
    a -shm beside it, which the next command's user would then find there."""

    async def read(copy: Path) -> set[str]:
        db = await sync.open_database(str(copy), create=False)
        try:
            return {row["id"] for row in (await db.all_docs())["rows"]}
        finally:
            await db.close()

    with tempfile.TemporaryDirectory() as scratch:
        for suffix in ("", "-wal"):
            if Path(f"{path}{suffix}").exists():
                shutil.copyfile(f"{path}{suffix}", Path(scratch) / f"{path.name}{suffix}")
        return asyncio.run(read(Path(scratch) / path.name))


def _writable_target(folder: Path, as_user: list[str]) -> Path:
    out = folder / "out"
    out.mkdir(mode=0o755)
    _give(out, as_user)
    return out / f"{VILLAGE}.sqlite"


def test_user_add_in_a_read_only_folder_says_so_before_asking_a_password(
    folder: Path, as_user: list[str]
) -> None:
    village = _locked_village(folder, as_user)
    done = _cli(as_user, "user", "add", "--data", str(village.parent), "wang")  # no stdin
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"the account cannot be saved: {village} cannot be written" in done.stderr
    assert "read-only" in done.stderr
    assert "password" not in done.stderr  # refused before asking


def test_demo_into_a_read_only_folder_says_so(folder: Path, as_user: list[str]) -> None:
    data = folder / "data"
    data.mkdir(mode=0o755)
    _give(data, as_user)
    _write_protect(data)
    done = _cli(as_user, "demo", "--data", str(data))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"the demo cannot be loaded into {data}" in done.stderr
    assert list(data.iterdir()) == []


def test_a_read_only_village_replicates_as_a_source(folder: Path, as_user: list[str]) -> None:
    """No -wal, a folder that cannot take a -shm: read through ``immutable=1``."""
    village = _locked_village(folder, as_user)
    target = _writable_target(folder, as_user)
    done = _cli(as_user, "replicate", str(village), str(target))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(os.listdir(village.parent)) == [village.name]  # nothing written beside it
    expected = _doc_ids(village)
    assert len(expected) >= 40
    assert _doc_ids(target) == expected
    again = _cli(as_user, "replicate", str(village), str(target))
    assert again.returncode == 0, again.stderr
    assert ": 0 docs read" in again.stdout  # resumed from the checkpoint kept on the target


def _copy_while_open(folder: Path, as_user: list[str], *, with_shm: bool) -> Path:
    """A copy of a village taken while a writer had it open: its last commits are still in
    the -wal (and the -shm, unless ``with_shm`` is false, as a copy of two files would be)."""
    origin = folder / "origin"
    origin.mkdir()
    data = folder / "data"
    data.mkdir(mode=0o755)
    path = origin / f"{VILLAGE}.sqlite"
    asyncio.run(_village(path))

    async def write_and_copy() -> None:
        db = await sync.open_database(str(path), create=False)
        try:
            await db.put({"_id": "note:in-the-wal", "type": "note"})
            for suffix in ("", "-wal", *(["-shm"] if with_shm else [])):
                shutil.copyfile(f"{path}{suffix}", data / f"{path.name}{suffix}")
        finally:
            await db.close()

    asyncio.run(write_and_copy())
    assert (data / f"{path.name}-wal").stat().st_size > 0
    _give(data, as_user)
    _write_protect(data)
    return data / path.name


def test_a_read_only_copy_with_its_wal_and_shm_is_read_whole(
    folder: Path, as_user: list[str]
) -> None:
    village = _copy_while_open(folder, as_user, with_shm=True)
    target = _writable_target(folder, as_user)
    done = _cli(as_user, "replicate", str(village), str(target))
    assert done.returncode == 0, done.stderr
    assert "note:in-the-wal" in _doc_ids(target)  # the -wal was read


def test_a_read_only_copy_whose_wal_cannot_be_read_is_refused(
    folder: Path, as_user: list[str]
) -> None:
    """``immutable=1`` would skip the -wal's commits without a word: refused instead."""
    village = _copy_while_open(folder, as_user, with_shm=False)
    target = _writable_target(folder, as_user)
    done = _cli(as_user, "replicate", str(village), str(target))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"its last changes are still in {village.name}-wal" in done.stderr
    assert "Copy the folder" in done.stderr
    assert not target.exists() or "note:in-the-wal" not in _doc_ids(target)


def test_a_read_only_target_is_refused_clearly(folder: Path, as_user: list[str]) -> None:
    village = _locked_village(folder, as_user)
    source = folder / "source.sqlite"
    asyncio.run(_village(source, docs=3))
    source.chmod(0o644)
    done = _cli(as_user, "replicate", str(source), str(village))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"replication failed: {village} cannot be written" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_on_a_read_only_folder_serves_read_only_and_says_so(
    folder: Path, as_user: list[str]
) -> None:
    village = _locked_village(folder, as_user)
    port = _free_port()
    command = ["serve", "--data", str(village.parent), "--port", str(port)]
    server = subprocess.Popen(
        [*as_user, sys.executable, "-m", "village_app.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd="/",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(600):  # start-up, bounded; not a timing assertion
                if server.poll() is not None:
                    break
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/healthz").status_code == 200:
                        break
                time.sleep(0.1)
            assert server.poll() is None, "serve stopped"
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            signed_in = client.post(
                "/login",
                data={"username": USERNAME, "password": PASSWORD, "csrf_token": token[1]},
            )
            assert signed_in.status_code == 303  # signing in writes nothing
            overview = client.get("/")
            assert overview.status_code == 200
            assert "数据文件夹是只读的：现在只能查看，不能保存" in overview.text
            form = client.get("/matters/new")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert csrf is not None
            saved = client.post(
                "/matters",
                data={
                    "kind": "major",
                    "title": "修建村西水渠",
                    "year": "2026",
                    "csrf_token": csrf[1],
                },
            )
            assert saved.status_code == 503
            assert "数据文件夹是只读的，无法保存" in saved.text
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert "Traceback" not in output
    assert f"READ-ONLY: {village} cannot be written" in output
    assert "Serving it read-only" in output
    assert sorted(os.listdir(village.parent)) == [village.name]
