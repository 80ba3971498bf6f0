"""A provisioned county with its bundle keys, and a laptop whose key it registered."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from county.provisioned import County
from syncing.conftest import Laptop, MakeLaptop, county, make_laptop
from syncing.laptop import VILLAGE

import sync
from village_app.bundle.keys import CountyKeys, keep_county_public_key, laptop_keys

__all__ = ["county", "make_laptop"]


@dataclass
class Stick:
    """The two ends of a USB stick's journey."""

    county: County
    keys: Path  # the county's key folder
    laptop: Laptop

    @property
    def account(self) -> str:
        return self.county.accounts["secretary_a"]

    async def county_ids(self) -> set[str]:
        db = await sync.open_database(f"{self.county.url}/{self.county.db(VILLAGE)}", create=False)
        try:
            rows = (await db.all_docs())["rows"]
        finally:
            await db.close()
        return {r["id"] for r in rows if not r["id"].startswith("_design/")}

    async def laptop_ids(self) -> set[str]:
        rows = (await self.laptop.db.all_docs())["rows"]
        return {r["id"] for r in rows if not r["id"].startswith("_design/")}


@pytest.fixture
async def stick(county: County, make_laptop: MakeLaptop, tmp_path: Path) -> Stick:
    keys = tmp_path / "county-keys"
    county_keys = CountyKeys(keys).create(county.registry.code)
    laptop = await make_laptop(start=False)
    keep_county_public_key(laptop.data_dir, county_keys.public.to_text())
    CountyKeys(keys).register(laptop_keys(laptop.data_dir, VILLAGE).public.to_text())
    return Stick(county, keys, laptop)
