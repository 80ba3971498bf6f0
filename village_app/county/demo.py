"""``village-app county demo``: a county to look at, on any CouchDB (the test peer will do).

Runs ``county init`` for the registry, gives every staff member of the registry an account
with one demo password, and fills the village databases: 杏林村 (the field app's demo, the
same documents ``make run`` loads, so a laptop running it syncs with this county), and the
other villages with generated records (:func:`village_app.demo.county.village_docs`). Every
seventh village is left without records, as a village whose laptop never synced."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sync
from sync.couch_server import CouchServer
from village_app.county import roles
from village_app.county.provision import init_county
from village_app.county.registry import Registry
from village_app.demo import load_demo
from village_app.demo.county import village_docs
from village_app.demo.services import load_county_services, village_service_docs
from village_app.repo.sealing import SealKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CountyDemo:
    villages_filled: int
    villages_empty: int
    accounts: list[str]


async def load_county_demo(
    couch_url: str, registry: Registry, *, password: str, matters: int = 12, prefix: str = ""
) -> CountyDemo:
    async with CouchServer(couch_url) as server:
        await init_county(server, registry, prefix=prefix)
        for staff in registry.staff:
            await server.put_user(staff.name, password, staff.couch_roles(registry.code))
        demo_code = None
        with tempfile.TemporaryDirectory() as folder:
            laptop = await load_demo(Path(folder))
            demo_code = laptop.village
            if registry.village(demo_code) is not None:
                target = f"{couch_url.rstrip('/')}/{roles.village_database(demo_code, prefix)}"
                await sync.replicate(str(laptop.path), target)
        filled = empty = 0
        # Generated villages have no laptop: their needs are sealed with a key nobody keeps.
        key = SealKey.generate()
        clerk = next((s.name for s in registry.staff if s.role == "county_reviewer"), "county")
        for n, village in enumerate(registry.villages):
            if village.code == demo_code:
                filled += 1
                continue
            if n % 7 == 6:
                empty += 1
                continue
            township = registry.township(village.township)
            db = await server.database(roles.village_database(village.code, prefix), create=False)
            try:
                if (await db.info()).get("doc_count", 0) <= 1:  # only the rules: not filled yet
                    await db.bulk_docs(
                        village_docs(
                            village.code,
                            matters=matters,
                            seed=n,
                            name=village.name,
                            township=township.name if township else "",
                        )
                        + village_service_docs(
                            village.code, key=key, secretary="secretary", clerk=clerk, seed=n
                        )
                    )
            finally:
                await db.close()
            filled += 1
        await load_county_services(server, registry, prefix)
    return CountyDemo(filled, empty, [s.name for s in registry.staff])
