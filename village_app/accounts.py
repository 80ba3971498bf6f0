"""Secretary accounts, kept in the village database as ``_local/user:<name>`` documents.

``_local`` documents are never replicated, so password hashes stay on the laptop that
made them. Passwords are hashed with scrypt and a per-user random salt; the parameters
are stored with the hash so they can be raised later without breaking existing accounts.
Verification is constant-time, and an unknown user costs the same scrypt work as a known
one, so timing does not reveal which names exist.

A hash takes tens of milliseconds of CPU, so it runs in a worker thread, never on the
event loop (a caller that serves many requests passes a ``limiter`` bounding how many run
at once). The hash is the standard library's ``hashlib.scrypt`` (OpenSSL's), which lets go
of the GIL while it works; ``cryptography``'s ``Scrypt`` (which made the hashes stored so
far, byte for byte the same function) holds the GIL for the whole hash, so in a thread it
would still stop the event loop for as long.

The cost of new hashes is ``SCRYPT_N``: ``DEFAULT_SCRYPT_N`` (2**14) unless the
environment variable ``CUNYI_SCRYPT_N`` names another power of two, read once at import.
The test suite sets it to 16 (``tests/plugins/cheap_kdf.py``), so that each account it
makes and each login costs microseconds instead of tens of milliseconds. A hash is
always verified with the parameters stored beside it, so hashes made at one cost
verify under any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import anyio.to_thread
from anyio import CapacityLimiter

from sync.database import Database
from sync.errors import NotFoundError

#: scrypt cost: n=2**14, r=8 is the classic interactive-login setting (about 16 MB, tens of ms).
DEFAULT_SCRYPT_N: Final = 2**14
#: Environment variable naming another n for new hashes (a power of two, 2 to 2**20).
SCRYPT_N_ENV: Final = "CUNYI_SCRYPT_N"
_MAX_SCRYPT_N: Final = 2**20  # 1 GiB of memory at r=8
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_KEY_LENGTH: Final = 32
_SALT_LENGTH: Final = 16
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD_LENGTH: Final = 8
ROLES: Final = ("secretary", "reviewer", "viewer")


class AccountError(ValueError):
    """A username or password that cannot be used; ``message_zh`` is shown in the UI."""

    def __init__(self, message: str, *, message_zh: str, field: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh
        self.field = field


@dataclass(frozen=True)
class User:
    username: str
    village: str
    role: str


def scrypt_n_from(environ: Mapping[str, str]) -> int:
    """The scrypt n for new hashes that ``environ`` asks for: ``DEFAULT_SCRYPT_N`` when
    ``CUNYI_SCRYPT_N`` is unset or empty; anything but a power of two from 2 to 2**20 is
    an error rather than a silent default."""
    value = environ.get(SCRYPT_N_ENV, "").strip()
    if not value:
        return DEFAULT_SCRYPT_N
    n = int(value) if value.isascii() and value.isdigit() else 0
    if not 2 <= n <= _MAX_SCRYPT_N or n & (n - 1):
        raise ValueError(
            f"{SCRYPT_N_ENV}={value!r}: scrypt n must be a power of two from 2 to 2**20"
        )
    return n


#: n of new hashes (the stored kdf parameters are what verification uses).
SCRYPT_N: int = scrypt_n_from(os.environ)


def _local_id(username: str) -> str:
    return f"_local/user:{username}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    # OpenSSL refuses to use more than ``maxmem`` (32 MiB unless told): room for its two
    # buffers, 128*r*(n+2) and 128*r*p bytes, at any n up to 2**20.
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=_KEY_LENGTH, maxmem=maxmem)


async def _hash(
    password: str,
    salt: bytes,
    n: int,
    r: int = _SCRYPT_R,
    p: int = _SCRYPT_P,
    *,
    limiter: CapacityLimiter | None = None,
) -> bytes:
    """scrypt of ``password`` in a worker thread (``limiter``: anyio's default if ``None``)."""
    secret = password.encode("utf-8")
    return await anyio.to_thread.run_sync(_scrypt, secret, salt, n, r, p, limiter=limiter)


def check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise AccountError(
            f"invalid username {username!r}: use 1-64 letters, digits, '.', '_' or '-'",
            message_zh="用户名只能包含字母、数字、点、下划线和连字符（1–64 个字符）",
            field="username",
        )
    return username


async def add_user(
    db: Database, username: str, password: str, *, village: str, role: str = "secretary"
) -> None:
    """Create the account, or set a new password and role if it already exists."""
    check_username(username)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"password too short: at least {MIN_PASSWORD_LENGTH} characters",
            message_zh=f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
            field="password",
        )
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}", message_zh="未知的角色", field="role")
    salt = os.urandom(_SALT_LENGTH)
    n = SCRYPT_N
    doc: dict[str, Any] = {
        "_id": _local_id(username),
        "type": "user",
        "username": username,
        "village": village,
        "role": role,
        "kdf": {"name": "scrypt", "n": n, "r": _SCRYPT_R, "p": _SCRYPT_P},
        "salt": _b64(salt),
        "hash": _b64(await _hash(password, salt, n)),
    }
    try:
        existing = await db.get_local(_local_id(username))
        if "_rev" in existing:
            doc["_rev"] = existing["_rev"]
    except NotFoundError:
        pass
    await db.put_local(doc)


async def user_exists(db: Database, username: str) -> bool:
    try:
        await db.get_local(_local_id(username))
    except NotFoundError:
        return False
    return True


async def verify_user(
    db: Database, username: str, password: str, *, limiter: CapacityLimiter | None = None
) -> User | None:
    """The user if ``password`` is theirs, else ``None`` (unknown user or wrong password).

    The hash runs in a worker thread; ``limiter`` bounds how many such hashes run at once
    (the web app's, so a flood of logins cannot start hundreds of 16 MB hashes)."""
    doc: dict[str, Any] | None = None
    if _USERNAME.match(username):
        try:
            doc = await db.get_local(_local_id(username))
        except NotFoundError:
            doc = None
    if doc is None or doc.get("type") != "user":
        # Same work as a real check, so a missing name does not answer faster.
        await _hash(password, b"\0" * _SALT_LENGTH, SCRYPT_N, limiter=limiter)
        return None
    params = doc["kdf"]
    salt = base64.b64decode(doc["salt"])
    derived = await _hash(password, salt, params["n"], params["r"], params["p"], limiter=limiter)
    if not hmac.compare_digest(derived, base64.b64decode(doc["hash"])):  # constant time
        return None
    return User(username=doc["username"], village=doc["village"], role=doc["role"])
