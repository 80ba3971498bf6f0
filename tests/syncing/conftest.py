"""A county provisioned on the peer, and a laptop (a village database in a data folder) with
its :class:`SyncService`, for the sync tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import PASSWORD, County, provision

import sync
from syncing.laptop import VILLAGE
from village_app import repo
from village_app.syncing.service import SyncService


@pytest.fixture
async def county(couch_url: str, peer_cleanup: PeerCleanup) -> AsyncIterator[County]:
    """Two villages; the first is the laptops' (``VILLAGE``)."""
    async for made in provision(couch_url, peer_cleanup, county_code=VILLAGE[:6]):
        assert made.village_a == VILLAGE
        yield made


@dataclass
class Laptop:
    data_dir: Path
    db: sync.Database
    service: SyncService

    @property
    def path(self) -> Path:
        return self.data_dir / f"{VILLAGE}.sqlite"


MakeLaptop = Callable[..., Awaitable[Laptop]]


@pytest.fixture
async def make_laptop(tmp_path: Path) -> AsyncIterator[MakeLaptop]:
    made: list[Laptop] = []

    async def make(name: str = "laptop", *, start: bool = True) -> Laptop:
        data_dir = tmp_path / name
        data_dir.mkdir()
        db = await sync.open_database(str(data_dir / f"{VILLAGE}.sqlite"))
        service = SyncService(data_dir, db, VILLAGE, repo.VillageCaches())
        laptop = Laptop(data_dir, db, service)
        made.append(laptop)
        if start:
            await service.start()
        return laptop

    yield make
    for laptop in made:
        await laptop.service.close()
        await laptop.db.close()


def db_url(county: County, base: str | None = None) -> str:
    """The laptop's village database on the county (through ``base``, a proxy, if given)."""
    return f"{base or county.base}/{county.db(VILLAGE)}"


__all__ = ["PASSWORD", "Laptop", "MakeLaptop", "db_url"]
