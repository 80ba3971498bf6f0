"""The county's laptop keys over time: a village's new laptop (or its laptop given new keys)
replaces the key that brings sticks in, but what the old key signed still verifies; only
``county revoke-key`` makes its signatures from then on count as not verified."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from village_app.bundle.keys import CountyKeys, KeyPair
from village_app.county.keyring import known_keys
from village_app.domain.publicity import twin_id
from village_app.domain.signing import sign, verify

ROOT = Path(__file__).resolve().parents[2]
CODE = "990101001001"


def _signed(keys: KeyPair, title: str, when: str) -> dict[str, Any]:
    twin: dict[str, Any] = {
        "_id": twin_id(f"matter:{CODE}:01JA{title.encode().hex()[:20].upper()}"),
        "type": "public_matter",
        "village": CODE,
        "title": title,
    }
    twin["signature"] = sign(twin, keys.sign, keys.public.fingerprint, when)
    return twin


def _revoke(folder: Path, fingerprint: str, since: str) -> subprocess.CompletedProcess[str]:
    command = ["county", "revoke-key", "--keys", str(folder), "--from", since, fingerprint]
    return subprocess.run(
        [sys.executable, "-m", "village_app.cli", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_replaced_key_still_verifies_until_it_is_revoked(tmp_path: Path) -> None:
    folder = tmp_path / "county-keys"
    county = CountyKeys(folder)
    county.create("990101")
    old = KeyPair.generate("laptop", CODE)
    county.register(old.public.to_text())
    before = _signed(old, "修村道", "2026-03-01T08:00:00.000Z")
    # The laptop is replaced: the new one's key is the village's from now on.
    new = KeyPair.generate("laptop", CODE)
    county.register(new.public.to_text())
    laptop = county.laptop(CODE)
    assert laptop is not None and laptop.fingerprint == new.public.fingerprint
    keys = known_keys(folder)
    assert set(keys) == {old.public.fingerprint, new.public.fingerprint}
    assert verify(before, keys).code == "valid"  # not "unknown_key"
    assert verify(_signed(new, "修水渠", "2026-04-01T08:00:00.000Z"), keys).code == "valid"
    # Registering the new key again, or the old one's file once more, loses nothing.
    county.register(new.public.to_text())
    assert set(known_keys(folder)) == set(keys)
    # Replacing is not revoking: the old key signing after it was replaced still verifies
    # (the laptop may have been given away, not lost); revoking is said on purpose.
    later = _signed(old, "修桥", "2026-05-01T08:00:00.000Z")
    assert verify(later, known_keys(folder)).code == "valid"
    done = _revoke(folder, old.public.fingerprint_text, "2026-04-15T00:00:00.000Z")
    assert done.returncode == 0, done.stderr
    keys = known_keys(folder)
    assert verify(before, keys).code == "valid"  # signed before the revocation
    assert verify(later, keys).code == "revoked"  # signed after it: flagged
    # An altered publication of the old key is still caught as altered.
    assert verify({**before, "title": "修村道（改）"}, keys).code == "altered"
    # A key the county never registered stays unknown.
    stranger = KeyPair.generate("laptop", CODE)
    assert verify(_signed(stranger, "修路灯", "2026-03-01T08:00:00.000Z"), keys).code == (
        "unknown_key"
    )
    assert _revoke(folder, stranger.public.fingerprint, "2026-04-15T00:00:00.000Z").returncode == 2


def test_a_laptop_given_new_keys_twice_keeps_every_old_one(tmp_path: Path) -> None:
    county = CountyKeys(tmp_path / "county-keys")
    pairs = [KeyPair.generate("laptop", CODE) for _ in range(3)]
    signed = []
    for i, pair in enumerate(pairs):
        county.register(pair.public.to_text())
        signed.append(_signed(pair, f"事项{i}", f"2026-0{i + 1}-01T08:00:00.000Z"))
    keys = known_keys(county.folder)
    assert [verify(t, keys).code for t in signed] == ["valid"] * 3
    current = county.laptop(CODE)
    assert current is not None and current.fingerprint == pairs[-1].public.fingerprint
