"""``county demo`` brings the service lists for 青禾县 (issue 13): organisations under their
party committees with their resource lists in the county's services database, each entry
sent to the villages it covers; villages with needs, projects, a pairing, services, ratings,
posts and duties; the county index summarises them and the dashboard's figures are not
empty. Run twice, it writes nothing new."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from couchpeer import PeerCleanup

from sync.couch_server import CouchServer
from village_app.county import services_index
from village_app.county.demo import load_county_demo
from village_app.county.index import CountyIndex
from village_app.county.indexer import CountyIndexer
from village_app.county.registry import Registry, load
from village_app.county.services_db import CountyServices
from village_app.demo.services import ORGANISATIONS, RESOURCES, load_county_services

pytestmark = pytest.mark.peer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def registry(peer_cleanup: PeerCleanup) -> AsyncIterator[tuple[Registry, str]]:
    """The demo registry, cut to its first township's villages and one more (quicker), its
    staff made unique to this run; everything deleted afterwards."""
    full = load(ROOT / "fixtures" / "county.toml")
    villages = [v for v in full.villages if v.township == "001"] + [
        next(v for v in full.villages if v.township == "003")
    ]
    staff = tuple(replace(s, name=peer_cleanup.user_name()) for s in full.staff)
    prefix = peer_cleanup.db_name("svcdemo_") + "_"
    try:
        yield replace(full, villages=tuple(villages), staff=staff), prefix
    finally:
        for name in peer_cleanup.all_dbs():
            if name.startswith(prefix):
                peer_cleanup.delete_db(name)
        for s in staff:
            peer_cleanup.delete_user(s.name)


async def test_the_county_demo_has_the_service_lists(
    couch_url: str, registry: tuple[Registry, str], tmp_path: Path
) -> None:
    reg, prefix = registry
    await load_county_demo(couch_url, reg, password="demo-pw-1", matters=2, prefix=prefix)
    async with CouchServer(couch_url) as server:
        services = CountyServices(server, reg, prefix)
        assert {o.id for o in await services.organisations()} == {o.id for o in ORGANISATIONS}
        assert len(await services.resources()) == len(RESOURCES)
        again = await load_county_services(server, reg, prefix)
        assert not again.written and not again.withdrawn and again.ok
    async with CountyIndexer(couch_url, tmp_path, prefix=prefix + "village_") as indexer:
        await indexer.run_once()
    async with await CountyIndex.open(tmp_path) as index:
        codes = [v.code for v in reg.villages]
        figures = await services_index.figures(index, codes, 2026)
        filled = [f for f in figures.values() if f.services]
        assert len(filled) >= 3
        assert all(f.projects_active and f.posts_held == 6 for f in filled)
        assert sum(f.needs_waiting for f in figures.values()) > 0
        rated = await services_index.satisfaction(index, codes, 2026)
        assert len(rated.by_organisation) >= 3 and rated.overall.average is not None
        assert 3 <= rated.overall.average <= 5
        # Township 003 is not covered by the 东溪镇 elders' meals (001, 002 only).
        baishan = next(v.code for v in reg.villages if v.township == "003")
        projects = await services_index.projects(index, [baishan])
        assert all("助餐" not in p.title for _, p in projects)
