"""Signing publications and checking them: sign, verify, tamper, forge, unknown and revoked
keys (village_app.domain.signing)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from village_app.domain.signing import KnownKey, content_hash, sign, verify

V = "990101001001"
TWIN: dict[str, Any] = {
    "_id": f"public_matter:{V}:01ABC",
    "_rev": "3-abc",
    "type": "public_matter",
    "village": V,
    "title": "村道硬化工程",
    "stages": [{"stage": "resolution", "date": "2026-03-02T19:30:00+08:00", "passed": True}],
}


def _signed(
    key: Ed25519PrivateKey, fingerprint: str = "k1", when: str = "2026-03-05T00:00:00Z"
) -> dict[str, Any]:
    return {**TWIN, "signature": sign(TWIN, key, fingerprint, when)}


def test_a_signed_publication_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    verdict = verify(_signed(key), {"k1": KnownKey(key.public_key(), V)})
    assert verdict.verified and verdict.key == "k1" and verdict.village == V


def test_the_hash_covers_the_content_not_the_revision() -> None:
    assert content_hash({**TWIN, "_rev": "9-zzz"}) == content_hash(TWIN)
    assert content_hash({**TWIN, "title": "村道硬化工程。"}) != content_hash(TWIN)
    assert content_hash({**TWIN, "_id": f"public_matter:{V}:01ABD"}) != content_hash(TWIN)


def test_an_altered_publication_does_not() -> None:
    key = Ed25519PrivateKey.generate()
    keys = {"k1": KnownKey(key.public_key(), V)}
    altered = {**_signed(key), "title": "村道硬化工程（改）"}
    assert verify(altered, keys).code == "altered"
    stages = [{**TWIN["stages"][0], "passed": False}]
    assert verify({**_signed(key), "stages": stages}, keys).code == "altered"


def test_a_forged_signature_an_unknown_key_and_no_signature() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    keys = {"k1": KnownKey(key.public_key(), V)}
    assert verify(_signed(other), keys).code == "forged"  # claims k1, signed by another
    assert verify(_signed(key, "k9"), keys).code == "unknown_key"
    assert verify(TWIN, keys).code == "unsigned"
    block = _signed(key)["signature"]
    assert (
        verify({**TWIN, "signature": {**block, "signed_at": "2026-03-06T00:00:00Z"}}, keys).code
        == "forged"
    )
    assert verify({**TWIN, "signature": {**block, "value": "not base64!"}}, keys).code == "forged"


def test_a_revoked_key_counts_until_it_was_revoked() -> None:
    key = Ed25519PrivateKey.generate()
    keys = {"k1": KnownKey(key.public_key(), V, revoked_at="2026-04-01T00:00:00.000Z")}
    assert verify(_signed(key, when="2026-03-05T00:00:00.000Z"), keys).verified
    assert verify(_signed(key, when="2026-04-02T00:00:00.000Z"), keys).code == "revoked"
