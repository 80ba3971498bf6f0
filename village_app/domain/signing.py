"""Publications anyone can verify: what a laptop signs, and how a signature is checked.

What is signed is a publication's public twin (:mod:`publicity`): the matter, the stages it
went through with their dates and outcomes, the resolution's text, where and when it was
published. Its **content hash** is SHA-256 over the canonical JSON (sorted keys, no spaces,
UTF-8) of the twin's id and its public fields; the laptop signs, with its Ed25519 key, the
canonical JSON of ``{"hash", "key", "signed_at"}``. The signature, the key's fingerprint and
the time travel in the twin (``signature``), so the kiosk, the county and a phone reading a
printed notice's QR code (which carries the hash) can all check the same thing.

:func:`verify` says why a publication is not verified: not signed, altered after signing,
signed by a key the county does not know, a forged signature, or signed after its key was
revoked (a lost laptop)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from village_app.i18n import N_

SIGNATURE: Final = "signature"

#: Why a publication is (not) verified: code -> msgid.
VERDICTS: Final[Mapping[str, str]] = {
    "valid": N_("签名有效：这是村里公开的原文"),
    "unsigned": N_("这份公开没有签名，无法核验"),
    "altered": N_("内容在签名之后被改动过，与村里签名的原文不符"),
    "unknown_key": N_("签名所用的密钥县里没有登记"),
    "forged": N_("签名不对：不是登记的电脑签的，可能是伪造的"),
    "revoked": N_("签名时这台电脑的密钥已经作废（电脑丢失后注销）"),
    "not_found": N_("县里没有这份公开的记录"),
}


def canonical(value: Any) -> bytes:
    """JSON with sorted keys and no spaces, UTF-8: equal content, equal bytes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def published_content(twin: Mapping[str, Any]) -> dict[str, Any]:
    """What a signature covers: the twin's id and its public fields (CouchDB's own fields and
    the signature itself aside)."""
    out = {k: v for k, v in twin.items() if not k.startswith("_") and k != SIGNATURE}
    out["id"] = twin.get("_id")
    return out


def content_hash(twin: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(published_content(twin))).hexdigest()


def _message(digest: str, key: str, signed_at: str) -> bytes:
    return canonical({"hash": digest, "key": key, "signed_at": signed_at})


def sign(
    twin: Mapping[str, Any], private: Ed25519PrivateKey, key: str, signed_at: str
) -> dict[str, str]:
    """The ``signature`` block of a twin: its content hash, the signing key's fingerprint,
    when, and the Ed25519 signature (base64)."""
    digest = content_hash(twin)
    value = private.sign(_message(digest, key, signed_at))
    return {
        "hash": digest,
        "key": key,
        "signed_at": signed_at,
        "value": base64.b64encode(value).decode("ascii"),
    }


@dataclass(frozen=True)
class KnownKey:
    """A laptop's signing key as the county registered it; ``revoked_at``: a UTC stamp from
    which signatures by it no longer count."""

    public: Ed25519PublicKey
    village: str = ""
    revoked_at: str | None = None


@dataclass(frozen=True)
class Verdict:
    code: str  # a key of VERDICTS
    key: str | None = None  # the signing key's fingerprint, as the twin says
    signed_at: str | None = None
    village: str = ""

    @property
    def verified(self) -> bool:
        return self.code == "valid"

    @property
    def message(self) -> str:
        return VERDICTS[self.code]


def verify(twin: Mapping[str, Any], keys: Mapping[str, KnownKey]) -> Verdict:
    """Check a publication's signature against the keys the county registered."""
    block = twin.get(SIGNATURE)
    if not isinstance(block, Mapping):
        return Verdict("unsigned")
    key, signed_at = block.get("key"), block.get("signed_at")
    digest, value = block.get("hash"), block.get("value")
    if not all(isinstance(x, str) for x in (key, signed_at, digest, value)):
        return Verdict("unsigned")
    assert isinstance(key, str) and isinstance(signed_at, str)
    assert isinstance(digest, str) and isinstance(value, str)
    if digest != content_hash(twin):
        return Verdict("altered", key, signed_at)
    known = keys.get(key)
    if known is None:
        return Verdict("unknown_key", key, signed_at)
    try:
        known.public.verify(
            base64.b64decode(value, validate=True), _message(digest, key, signed_at)
        )
    except (InvalidSignature, ValueError):
        return Verdict("forged", key, signed_at, known.village)
    if known.revoked_at is not None and signed_at >= known.revoked_at:
        return Verdict("revoked", key, signed_at, known.village)
    return Verdict("valid", key, signed_at, known.village)
