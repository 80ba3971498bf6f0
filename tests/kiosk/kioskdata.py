"""A kiosk's data folder made from the demo village: the laptop's demo, its public twins
(what ``serve`` repairs at start-up), pulled into a kiosk store the way ``kiosk pull`` does
(from the laptop's own file here, standing in for the county's public database)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import sync
from village_app import repo
from village_app.bundle.keys import laptop_keys
from village_app.demo import load_demo
from village_app.kiosk.pull import KioskFolder, pull


async def demo_kiosk(data_dir: Path) -> str:
    """Fill ``data_dir`` as a kiosk of the demo village; returns the village code."""
    with tempfile.TemporaryDirectory() as laptop_dir:
        laptop = await load_demo(Path(laptop_dir))
        db = await sync.open_database(str(laptop.path))
        # Signed with the laptop's key, as the app signs at start-up (kept beside the kiosk's
        # folder, so that tests can register it with a county).
        caches = repo.VillageCaches(signer=laptop_keys(data_dir.parent, laptop.village))
        try:
            store = repo.VillageStore(db, laptop.village, repo.Actor("demo"), caches)
            await store.repair_derived()
        finally:
            await db.close()
        await pull(KioskFolder(data_dir), str(laptop.path), village=laptop.village)
    return laptop.village
