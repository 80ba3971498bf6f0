from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import sync
from village_app import accounts


async def _make_village(path: Path) -> None:
    db = await sync.open_database(str(path))
    await db.close()


async def _verify(path: Path, username: str, password: str) -> accounts.User | None:
    db = await sync.open_database(str(path), create=False)
    try:
        return await accounts.verify_user(db, username, password)
    finally:
        await db.close()


def _user_add(data: Path, *extra: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "village_app.cli", "user", "add", "--data", str(data), *extra],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_user_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    village = tmp_path / "330102001001.sqlite"
    asyncio.run(_make_village(village))
    done = _user_add(tmp_path, "wang", "--password-stdin", stdin="a-long-password\n")
    assert done.returncode == 0, done.stderr
    assert "created secretary 'wang'" in done.stdout
    user = asyncio.run(_verify(village, "wang", "a-long-password"))
    assert user == accounts.User("wang", "330102001001", "secretary")


def test_user_add_without_a_village_says_what_to_do(tmp_path: Path) -> None:
    done = _user_add(tmp_path, "wang", "--password-stdin", stdin="a-long-password\n")
    assert done.returncode == 2
    assert "village-app demo" in done.stderr


def test_user_add_refuses_a_short_password(tmp_path: Path) -> None:
    asyncio.run(_make_village(tmp_path / "v.sqlite"))
    done = _user_add(tmp_path, "wang", "--password-stdin", stdin="short\n")
    assert done.returncode == 2 and "password too short" in done.stderr
