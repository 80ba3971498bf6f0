from __future__ import annotations

import asyncio
import base64
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

import sync
from village_app import accounts


@pytest.fixture
async def village_db(tmp_path: Path) -> AsyncIterator[sync.Database]:
    db = await sync.open_database(str(tmp_path / "330102001001.sqlite"))
    yield db
    await db.close()


async def test_add_then_verify(village_db: sync.Database) -> None:
    await accounts.add_user(village_db, "demo", "demo-password", village="330102001001")
    user = await accounts.verify_user(village_db, "demo", "demo-password")
    assert user == accounts.User(username="demo", village="330102001001", role="secretary")
    assert await accounts.verify_user(village_db, "demo", "demo-passwor") is None
    assert await accounts.verify_user(village_db, "nobody", "demo-password") is None


async def test_hash_lives_in_a_local_doc_with_its_own_salt(village_db: sync.Database) -> None:
    await accounts.add_user(village_db, "a", "same-password", village="v")
    await accounts.add_user(village_db, "b", "same-password", village="v")
    a = await village_db.get_local("_local/user:a")
    b = await village_db.get_local("_local/user:b")
    assert a["salt"] != b["salt"] and a["hash"] != b["hash"]
    assert "same-password" not in str(a)
    assert a["kdf"] == {"name": "scrypt", "n": accounts.SCRYPT_N, "r": 8, "p": 1}
    # _local documents never appear in the changes feed, so they never replicate.
    changes = await village_db.changes()
    assert not [c for c in changes["results"] if "user" in c["id"]]


async def test_adding_again_sets_a_new_password(village_db: sync.Database) -> None:
    await accounts.add_user(village_db, "demo", "first-password", village="v")
    await accounts.add_user(village_db, "demo", "second-password", village="v", role="viewer")
    assert await accounts.verify_user(village_db, "demo", "first-password") is None
    user = await accounts.verify_user(village_db, "demo", "second-password")
    assert user is not None and user.role == "viewer"


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("", "long-enough", "username"),
        ("has space", "long-enough", "username"),
        ("ok", "short", "password"),
        ("../x", "long-enough", "username"),
    ],
)
async def test_bad_username_or_password_is_refused(
    village_db: sync.Database, username: str, password: str, field: str
) -> None:
    with pytest.raises(accounts.AccountError) as caught:
        await accounts.add_user(village_db, username, password, village="v")
    assert caught.value.field == field and caught.value.message_zh


def test_scrypt_cost_from_the_environment() -> None:
    assert accounts.scrypt_n_from({}) == accounts.DEFAULT_SCRYPT_N == 2**14
    assert accounts.scrypt_n_from({"CUNYI_SCRYPT_N": ""}) == 2**14
    assert accounts.scrypt_n_from({"CUNYI_SCRYPT_N": "16"}) == 16
    assert accounts.scrypt_n_from({"CUNYI_SCRYPT_N": " 2 "}) == 2
    for bad in ("1", "0", "15", "-16", "2**4", "１６", "abc", str(2**21)):
        with pytest.raises(ValueError, match="CUNYI_SCRYPT_N"):
            accounts.scrypt_n_from({"CUNYI_SCRYPT_N": bad})


async def test_without_the_override_the_app_hashes_at_2_14() -> None:
    # The suite itself runs with CUNYI_SCRYPT_N=16 (tests/plugins/cheap_kdf.py).
    env = {k: v for k, v in os.environ.items() if k != accounts.SCRYPT_N_ENV}
    code = "from village_app import accounts; print(accounts.SCRYPT_N)"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert int(out) == 2**14


async def test_hashes_made_at_either_cost_verify_under_either(
    village_db: sync.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    for username, n in (("costly", 2**14), ("cheap", 2**4)):
        monkeypatch.setattr(accounts, "SCRYPT_N", n)
        await accounts.add_user(village_db, username, f"{username}-password", village="v")
        assert (await village_db.get_local(f"_local/user:{username}"))["kdf"]["n"] == n
    for n in (2**4, 2**14):
        monkeypatch.setattr(accounts, "SCRYPT_N", n)
        for username in ("costly", "cheap"):
            user = await accounts.verify_user(village_db, username, f"{username}-password")
            assert user is not None and user.username == username
            assert await accounts.verify_user(village_db, username, "wrong-password") is None


async def test_hashes_made_with_cryptography_s_scrypt_still_verify(
    village_db: sync.Database,
) -> None:
    """Accounts made before the hash moved to hashlib: the same function, byte for byte."""
    salt = os.urandom(16)
    digest = Scrypt(salt=salt, length=32, n=2**4, r=8, p=1).derive(b"old-password")
    await village_db.put_local(
        {
            "_id": "_local/user:old",
            "type": "user",
            "username": "old",
            "village": "v",
            "role": "secretary",
            "kdf": {"name": "scrypt", "n": 2**4, "r": 8, "p": 1},
            "salt": base64.b64encode(salt).decode(),
            "hash": base64.b64encode(digest).decode(),
        }
    )
    assert await accounts.verify_user(village_db, "old", "old-password") is not None
    assert await accounts.verify_user(village_db, "old", "old-passwore") is None


async def test_an_unknown_name_costs_the_same_hash(
    village_db: sync.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await accounts.add_user(village_db, "demo", "demo-password", village="v")
    calls: list[tuple[int, int, int]] = []
    real = accounts._scrypt

    def counting(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
        calls.append((n, r, p))
        return real(password, salt, n, r, p)

    monkeypatch.setattr(accounts, "_scrypt", counting)
    for name in ("demo", "nobody", "not a valid name!"):
        assert await accounts.verify_user(village_db, name, "wrong-password") is None
    assert calls == [(accounts.SCRYPT_N, 8, 1)] * 3


def _progress_beside(hash_once: Callable[[], object]) -> int:
    """How many rounds of a Python loop this thread runs while another thread hashes."""
    started, done = threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        hash_once()
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    rounds = 0
    while not done.is_set():
        rounds += 1
    worker.join()
    return rounds


def test_a_hash_lets_other_threads_run() -> None:
    """A hash in a worker thread frees the event loop only if it lets go of the GIL while it
    works. Measured beside cryptography's Scrypt (what hashed before, which holds the GIL
    throughout: the loop only runs when the interpreter forces a switch), in the same run:
    a count of rounds, not a time."""
    salt = b"\0" * 16
    ours = _progress_beside(lambda: accounts._scrypt(b"password", salt, 2**16, 8, 1))
    scrypt = Scrypt(salt=salt, length=32, n=2**16, r=8, p=1)
    holding = _progress_beside(lambda: scrypt.derive(b"password"))
    assert ours > 5 * holding, (ours, holding)
