"""The keys of USB bundles: each laptop's and the county's.

Each side has two key pairs: Ed25519 to sign what it writes, X25519 to receive what is
written to it. The private halves live in a 0600 file (the laptop's in its data folder,
made on first use; the county's in its key folder); the public halves travel as a small
JSON file (``*.pub``) that the other side keeps: the county registers each laptop's under
its village code, the laptop keeps the county's.

A key is named by its fingerprint: the first 16 bytes of SHA-256 over both public keys, in
hex, shown in groups of four so that two people can read it to each other over the phone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from village_app.syncing.files import read_private, write_private

#: In the laptop's data folder: its private keys, and the county's public one.
LAPTOP_KEY_FILE: Final = ".bundle_key"
COUNTY_PUBLIC_FILE: Final = "county.pub"
#: In the county's key folder.
COUNTY_KEY_FILE: Final = "county.key"
COUNTY_PUB_FILE: Final = "county.pub"
LAPTOPS_FOLDER: Final = "laptops"
#: Under LAPTOPS_FOLDER: keys a village's newer key replaced (kept for its signatures).
REPLACED_FOLDER: Final = "replaced"
KEY_FORMAT: Final = 1
_CODE: Final = re.compile(r"^\d{6,12}$")


class BadKey(ValueError):
    """A key file that is missing, malformed or for something else (the message says which)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, size: int) -> bytes:
    try:
        data = base64.b64decode(str(text), validate=True)
    except ValueError as exc:
        raise BadKey("a key is not valid base64") from exc
    if len(data) != size:
        raise BadKey("a key has the wrong length")
    return data


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class PublicKey:
    """The public half of a side's keys, as the other side keeps it."""

    kind: str  # "laptop" or "county"
    code: str  # the village's code (laptop) or the county's
    sign: Ed25519PublicKey
    box: X25519PublicKey

    @property
    def sign_bytes(self) -> bytes:
        return _raw_public(self.sign)

    @property
    def box_bytes(self) -> bytes:
        return _raw_public(self.box)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.sign_bytes + self.box_bytes).hexdigest()[:32]

    @property
    def fingerprint_text(self) -> str:
        """``a1b2 c3d4 …``: eight groups of four, to read aloud."""
        f = self.fingerprint
        return " ".join(f[i : i + 4] for i in range(0, len(f), 4))

    def to_text(self) -> str:
        return (
            json.dumps(
                {
                    "cunyi": f"{self.kind}-key",
                    "format": KEY_FORMAT,
                    "code": self.code,
                    "sign": _b64(self.sign_bytes),
                    "box": _b64(self.box_bytes),
                    "fingerprint": self.fingerprint,
                },
                indent=1,
            )
            + "\n"
        )

    @classmethod
    def from_text(cls, text: str | bytes, kind: str) -> PublicKey:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise BadKey(f"not a Cunyi {kind} key file") from exc
        if not isinstance(data, dict) or data.get("cunyi") != f"{kind}-key":
            raise BadKey(f"not a Cunyi {kind} key file")
        if data.get("format") != KEY_FORMAT:
            raise BadKey(f"a {kind} key file of another format ({data.get('format')!r})")
        code = str(data.get("code", ""))
        if not _CODE.match(code):
            raise BadKey(f"a {kind} key file without a valid code")
        return cls(
            kind,
            code,
            Ed25519PublicKey.from_public_bytes(_unb64(data.get("sign"), 32)),
            X25519PublicKey.from_public_bytes(_unb64(data.get("box"), 32)),
        )


@dataclass(frozen=True)
class KeyPair:
    """A side's private keys (and its public half)."""

    kind: str
    code: str
    sign: Ed25519PrivateKey
    box: X25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.kind, self.code, self.sign.public_key(), self.box.public_key())

    @classmethod
    def generate(cls, kind: str, code: str) -> KeyPair:
        return cls(kind, code, Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    def to_bytes(self) -> bytes:
        data = {
            "cunyi": f"{self.kind}-private-key",
            "format": KEY_FORMAT,
            "code": self.code,
            "sign": _b64(_raw_private(self.sign)),
            "box": _b64(_raw_private(self.box)),
        }
        return json.dumps(data).encode()

    @classmethod
    def from_bytes(cls, raw: bytes, kind: str) -> KeyPair:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BadKey(f"the {kind}'s private key file is damaged") from exc
        if not isinstance(data, dict) or data.get("cunyi") != f"{kind}-private-key":
            raise BadKey(f"the {kind}'s private key file is damaged")
        return cls(
            kind,
            str(data.get("code", "")),
            Ed25519PrivateKey.from_private_bytes(_unb64(data.get("sign"), 32)),
            X25519PrivateKey.from_private_bytes(_unb64(data.get("box"), 32)),
        )


def laptop_keys(data_dir: Path, village: str) -> KeyPair:
    """The laptop's keys, made (0600) the first time they are needed."""
    path = data_dir / LAPTOP_KEY_FILE
    raw = read_private(path)
    if raw is not None:
        return KeyPair.from_bytes(raw, "laptop")
    keys = KeyPair.generate("laptop", village)
    write_private(path, keys.to_bytes())
    return keys


def county_public_key(data_dir: Path) -> PublicKey | None:
    """The county's public key as the laptop keeps it (``None`` until it is given one)."""
    try:
        text = (data_dir / COUNTY_PUBLIC_FILE).read_bytes()
    except FileNotFoundError:
        return None
    return PublicKey.from_text(text, "county")


def keep_county_public_key(data_dir: Path, text: str | bytes) -> PublicKey:
    key = PublicKey.from_text(text, "county")
    write_private(data_dir / COUNTY_PUBLIC_FILE, key.to_text().encode())
    return key


class CountyKeys:
    """The county's key folder: its private keys and each laptop's registered public key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def create(self, county_code: str) -> KeyPair:
        """Make the county's keys (refused when there are some: replacing them would make
        every laptop's copy of the public key useless)."""
        if (self.folder / COUNTY_KEY_FILE).exists():
            raise BadKey(f"{self.folder / COUNTY_KEY_FILE} exists already")
        keys = KeyPair.generate("county", county_code)
        write_private(self.folder / COUNTY_KEY_FILE, keys.to_bytes())
        (self.folder / COUNTY_PUB_FILE).write_text(keys.public.to_text(), encoding="utf-8")
        return keys

    def own(self) -> KeyPair:
        raw = read_private(self.folder / COUNTY_KEY_FILE)
        if raw is None:
            raise BadKey(
                f"no county keys in {self.folder}: run `village-app bundle county-keys` first"
            )
        return KeyPair.from_bytes(raw, "county")

    def register(self, text: str | bytes) -> PublicKey:
        """Keep a laptop's public key under its village code. A key it replaces (the
        village's new laptop, or the same laptop with new keys) is kept aside in
        ``laptops/replaced/``: it no longer brings sticks in, but what it signed while it was
        the village's key still verifies (only ``county revoke-key`` says otherwise)."""
        key = PublicKey.from_text(text, "laptop")
        folder = self.folder / LAPTOPS_FOLDER
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        current = folder / f"{key.code}.pub"
        try:
            old = self.laptop(key.code)
        except BadKey:  # an unreadable file: nothing of it to keep
            old = None
        if old is not None and old.fingerprint != key.fingerprint:
            kept = folder / REPLACED_FOLDER / f"{old.code}-{old.fingerprint}.pub"
            kept.parent.mkdir(mode=0o700, exist_ok=True)
            kept.write_text(old.to_text(), encoding="utf-8")
        current.write_text(key.to_text(), encoding="utf-8")
        return key

    def every_laptop(self) -> list[PublicKey]:
        """Every laptop key the county registered, the replaced ones too (for checking what
        they signed); one whose file cannot be read is left out."""
        folder = self.folder / LAPTOPS_FOLDER
        found = []
        for path in [
            *sorted(folder.glob("*.pub")),
            *sorted((folder / REPLACED_FOLDER).glob("*.pub")),
        ]:
            try:
                found.append(PublicKey.from_text(path.read_bytes(), "laptop"))
            except (OSError, BadKey):
                continue
        return found

    def laptop(self, village: str) -> PublicKey | None:
        if not _CODE.match(village):
            return None
        try:
            text = (self.folder / LAPTOPS_FOLDER / f"{village}.pub").read_bytes()
        except FileNotFoundError:
            return None
        return PublicKey.from_text(text, "laptop")
