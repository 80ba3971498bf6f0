"""Sealing the most sensitive fields at rest: the person a need names (DESIGN.md, "Integrity
and privacy"; issue 13, "Privacy").

A need's personal part (name, address, phone, circumstances) is encrypted with AES-256-GCM
before the document is written, so it is never in clear in the village's ``.sqlite`` file,
in a replicated document on the county's CouchDB, or in anything made from them (a bundle,
a mirror). The key is 32 random bytes in ``<data folder>/.needs_key`` (0600): not in the
``.sqlite`` file, never in a document, never replicated.

**Who can read it.** Only the laptop that holds the key. The county's role in the service
lists is to match needs to resources and to count: it works from the need's other fields
(the group, the 五助一扶 categories, what is needed written without names, how many people,
the visit's date), which stay in clear; it gets no key. The organisation's volunteers meet
the households through the village, which knows them. So the county pages show the number
of needs and what they are, never who.

**Binding.** The sealed part is bound to its document's id (the AES-GCM associated data),
so it cannot be copied into another need; it carries the key's id (``kid``), so a document
sealed under another key (another laptop, a key lost and made again) is told apart from
one that was altered. A key lost is personal data lost: the data folder's backup must hold
the key file with the database (docs say so).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_FILE: Final = ".needs_key"
ALGORITHM: Final = "A256GCM"
_NONCE_BYTES: Final = 12


class SealBroken(ValueError):
    """A sealed part that this key cannot open: sealed under another key (``foreign``), or
    altered since it was sealed."""

    def __init__(self, reason: str, *, foreign: bool) -> None:
        super().__init__(reason)
        self.foreign = foreign


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, repr=False)
class SealKey:
    secret: bytes

    def __repr__(self) -> str:  # never the secret, not even in a traceback
        return f"SealKey(kid={self.kid!r})"

    @property
    def kid(self) -> str:
        """A short public name of the key (a hash of it: says nothing of the key)."""
        return hashlib.sha256(b"cunyi needs key id\0" + self.secret).hexdigest()[:16]

    @classmethod
    def generate(cls) -> SealKey:
        return cls(AESGCM.generate_key(bit_length=256))

    @classmethod
    def load(cls, folder: Path) -> SealKey | None:
        """The key kept in ``folder``, or ``None`` when there is none (a key file made
        readable by others is made private again)."""
        path = folder / KEY_FILE
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        secret = _unb64(text)
        if len(secret) != 32:
            raise ValueError(f"{path}: not a needs key (expected 32 bytes)")
        if path.stat().st_mode & 0o077:
            try:
                path.chmod(0o600)
            except OSError as exc:
                log.warning("cannot make %s private (%s)", path, exc.strerror)
        return cls(secret)

    @classmethod
    def load_or_create(cls, folder: Path) -> SealKey:
        """The key of ``folder``, made (0600, written whole or not at all) on first use."""
        found = cls.load(folder)
        if found is not None:
            return found
        key = cls.generate()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / KEY_FILE
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(_b64(key.secret) + "\n")
                f.flush()
                os.fsync(f.fileno())
            # A link never replaces a key another process made meanwhile.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        made = cls.load(folder)
        assert made is not None
        return made

    def seal(self, plain: Mapping[str, Any], *, bound_to: str) -> dict[str, str]:
        """``plain`` (JSON-able) encrypted, bound to the document id ``bound_to``."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        data = AESGCM(self.secret).encrypt(
            nonce, orjson.dumps(plain, option=orjson.OPT_SORT_KEYS), bound_to.encode()
        )
        return {"alg": ALGORITHM, "kid": self.kid, "iv": _b64(nonce), "ct": _b64(data)}

    def open(self, sealed: Mapping[str, Any], *, bound_to: str) -> dict[str, Any]:
        """The plain part, or :class:`SealBroken`."""
        if sealed.get("kid") != self.kid:
            raise SealBroken("sealed under another key", foreign=True)
        try:
            nonce, data = _unb64(str(sealed["iv"])), _unb64(str(sealed["ct"]))
            plain = AESGCM(self.secret).decrypt(nonce, data, bound_to.encode())
        except (InvalidTag, KeyError, ValueError) as exc:
            raise SealBroken("altered, or sealed for another record", foreign=False) from exc
        value = orjson.loads(plain)
        if not isinstance(value, dict):
            raise SealBroken("not an object", foreign=False)
        return value


def check_sealed_shape(sealed: object) -> bool:
    """Whether ``sealed`` looks like what :meth:`SealKey.seal` makes (read without a key)."""
    return (
        isinstance(sealed, Mapping)
        and sealed.get("alg") == ALGORITHM
        and all(isinstance(sealed.get(k), str) and sealed.get(k) for k in ("kid", "iv", "ct"))
        and set(sealed) == {"alg", "kid", "iv", "ct"}
    )


_KEYS: dict[Path, SealKey | None] = {}


def key_for(folder: Path) -> SealKey | None:
    """The key of a data folder, made on first use and kept for the process; ``None`` when
    there is none and none can be made (a read-only folder: needs are then read sealed and
    cannot be written)."""
    folder = folder.resolve()
    if folder not in _KEYS:
        try:
            _KEYS[folder] = SealKey.load_or_create(folder)
        except OSError as exc:
            log.warning("no needs key in %s (%s): needs stay sealed", folder, exc.strerror)
            _KEYS[folder] = SealKey.load(folder) if (folder / KEY_FILE).exists() else None
    return _KEYS[folder]
