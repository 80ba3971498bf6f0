"""The laptops' signing keys as the county knows them, for checking publications.

The keys are those ``village-app bundle register`` keeps in the county's key folder: each
village's current one (``laptops/<code>.pub``) and every key one of them replaced (a new
laptop, a laptop given new keys: ``laptops/replaced/``), so that a publication signed before
the replacement still verifies. Replacing a key does not revoke it; a lost laptop's key is
revoked with ``village-app county revoke-key``, which notes in ``revoked.json`` from when its
signatures no longer count (those made before stay valid: the publications were real)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from village_app.bundle.keys import CountyKeys
from village_app.domain.dates import utc_stamp
from village_app.domain.signing import KnownKey

REVOKED_FILE: Final = "revoked.json"


def _revoked(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / REVOKED_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def known_keys(folder: Path | None) -> dict[str, KnownKey]:
    """Fingerprint -> key, for every laptop key registered in the county's key folder, the
    replaced ones included."""
    if folder is None:
        return {}
    revoked = _revoked(folder)
    keys: dict[str, KnownKey] = {}
    for key in CountyKeys(folder).every_laptop():
        keys[key.fingerprint] = KnownKey(key.sign, key.code, revoked.get(key.fingerprint))
    return keys


def revoke(folder: Path, fingerprint: str, when: str | None = None) -> str:
    """Revoke a laptop key from ``when`` (now by default); returns the stamp recorded."""
    fingerprint = fingerprint.replace(" ", "").lower()
    revoked = _revoked(folder)
    revoked[fingerprint] = when or utc_stamp()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / REVOKED_FILE).write_text(json.dumps(revoked, indent=1) + "\n", encoding="utf-8")
    return revoked[fingerprint]
