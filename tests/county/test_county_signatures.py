"""On the county's matter page each publication says whether the village laptop's signature
holds (签名有效), or why not (altered after signing, forged, a revoked key, an unknown key),
with a link to the verify page. Over a real county: a laptop publishes a resolution signed
with its key, pushes it, the indexer mirrors it, a township reviewer opens the matter."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from couchpeer import PeerCleanup
from starlette.testclient import TestClient
from web.helpers import VILLAGE, csrf_of
from web.villagedata import ACTOR, at, small_village

import sync
from county.provisioned import PASSWORD, County, provision
from county.test_county_pages import resolved_matter
from village_app import repo
from village_app.bundle.keys import CountyKeys, KeyPair, laptop_keys
from village_app.county.indexer import CountyIndexer
from village_app.county.keyring import revoke
from village_app.county.mirrors import mirror_path
from village_app.domain import Matter, Publication, StageRecord
from village_app.domain.publicity import twin_id
from village_app.web import Settings, create_app
from village_app.web.county.pages import CountyMatterPage

pytestmark = pytest.mark.peer


@dataclass
class Published:
    county: County
    laptop_dir: Path
    index: Path
    matter: Matter


async def publish(db: sync.Database, laptop_dir: Path) -> Matter:
    """A major matter through its resolution, published (stage 5) on a laptop whose key
    signs the publication."""
    matter = await resolved_matter(db)
    caches = repo.VillageCaches(signer=laptop_keys(laptop_dir, VILLAGE))
    signing = repo.VillageStore(db, VILLAGE, ACTOR, caches)
    notice = Publication("关于修建村东机耕道的决议公告", "村务公开栏", at(14))
    record = StageRecord(matter.id, "resolution_publication", content="公告", publication=notice)
    await signing.append_stage_record(matter.id, record)
    twin = await db.get(twin_id(matter.id))
    assert twin.get("signature"), twin
    return matter


@pytest.fixture
async def published(
    couch_url: str, peer_cleanup: PeerCleanup, tmp_path: Path
) -> AsyncIterator[Published]:
    async for county in provision(couch_url, peer_cleanup, county_code=VILLAGE[:6]):
        laptop_dir = tmp_path / "laptop"
        laptop_dir.mkdir()
        db = await sync.open_database(str(laptop_dir / f"{VILLAGE}.sqlite"))
        try:
            await small_village(db)
            matter = await publish(db, laptop_dir)
            pushed = await sync.replicate(db, f"{county.url}/{county.db(VILLAGE)}")
            assert not pushed.denied
        finally:
            await db.close()
        index = tmp_path / "index"
        async with CountyIndexer(county.url, index, prefix=county.prefix + "village_") as indexer:
            await indexer.run_once()
        yield Published(county, laptop_dir, index, matter)


def _client(setup: Published, tmp_path: Path, keys: Path) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "county-data",
        mode="county",
        couch_url=setup.county.url,
        registry=setup.county.registry,
        index_dir=setup.index,
        follow_index=False,
        db_prefix=setup.county.prefix,
        keys_dir=keys,
    )
    return TestClient(create_app(settings), base_url="http://testserver")


def _matter_page(setup: Published, tmp_path: Path, keys: Path) -> tuple[CountyMatterPage, Any]:
    with _client(setup, tmp_path, keys) as client:
        signed_in = client.post(
            "/login",
            data={
                "username": setup.county.accounts["township_a"],
                "password": PASSWORD,
                "csrf_token": csrf_of(client, "/login"),
                "next": "/",
            },
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        response = client.get(f"/villages/{VILLAGE}/matters/{setup.matter.id}")
        assert response.status_code == 200
        page: CountyMatterPage = response.context["page"]  # type: ignore[attr-defined]
        line = BeautifulSoup(response.text, "html.parser").select_one(
            "#signature-resolution_publication"
        )
        return page, line


def _code(line: Any) -> str:
    assert line is not None
    return str(line["data-code"])


async def _rewrite_twin(setup: Published, change: dict[str, Any]) -> None:
    """The twin in the county's mirror, changed (someone with the county's database)."""
    db = await sync.open_database(str(mirror_path(setup.index, VILLAGE)), create=False)
    try:
        twin = await db.get(twin_id(setup.matter.id))
        await db.put({**twin, **change})
    finally:
        await db.close()


def _verify_page(setup: Published, tmp_path: Path, keys: Path, href: str) -> str:
    """The verify page the link opens, once CouchDB's job copied the twin to the public
    database."""
    url = f"{setup.county.url}/{setup.county.public_db(VILLAGE)}/{twin_id(setup.matter.id)}"
    for _ in range(300):
        if httpx.get(url, timeout=30).status_code == 200:
            break
        asyncio.run(asyncio.sleep(0.1))
    with _client(setup, tmp_path, keys) as client:
        page = client.get(href).context["page"]  # type: ignore[attr-defined]
        assert page.verdict is not None
        return str(page.verdict.code)


def test_each_publication_shows_its_signature(published: Published, tmp_path: Path) -> None:
    keys = tmp_path / "county-keys"
    laptop = laptop_keys(published.laptop_dir, VILLAGE).public
    CountyKeys(keys).register(laptop.to_text())
    page, line = _matter_page(published, tmp_path, keys)
    assert page.signature is not None and page.signature.verdict.verified
    assert _code(line) == "valid" and "签名有效" in line.get_text()
    assert laptop.fingerprint_text in line.get_text()
    href = line.select_one("a")["href"]
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "/verify" and query["m"] == [published.matter.id]
    assert _verify_page(published, tmp_path, keys, href) == "valid"
    # Only the publication stages carry the line (stage 4, the resolution, has none).
    assert page.signature.covers("resolution_publication")
    assert not page.signature.covers("resolution")

    # The village got a new laptop: its old key's publication still verifies.
    CountyKeys(keys).register(KeyPair.generate("laptop", VILLAGE).public.to_text())
    assert _code(_matter_page(published, tmp_path, keys)[1]) == "valid"

    # A county that never registered the laptop's key.
    _, line = _matter_page(published, tmp_path, tmp_path / "no-keys")
    assert _code(line) == "unknown_key" and "县里没有登记" in line.get_text()
    assert "签名未通过核验" in line.get_text()

    # The laptop's key revoked before it signed.
    revoked = tmp_path / "revoked-keys"
    CountyKeys(revoked).register(laptop.to_text())
    revoke(revoked, laptop.fingerprint, "2000-01-01T00:00:00.000Z")
    _, line = _matter_page(published, tmp_path, revoked)
    assert _code(line) == "revoked" and "作废" in line.get_text()

    # A signature made by some other key in the laptop's name.
    twin = asyncio.run(_twin(published))
    forged = dict(twin["signature"])
    other = KeyPair.generate("laptop", VILLAGE).sign
    forged["value"] = base64.b64encode(other.sign(b"not the message")).decode()
    asyncio.run(_rewrite_twin(published, {"signature": forged}))
    _, line = _matter_page(published, tmp_path, keys)
    assert _code(line) == "forged" and "伪造" in line.get_text()

    # The published text changed after signing.
    asyncio.run(_rewrite_twin(published, {"signature": twin["signature"], "title": "改过的标题"}))
    _, line = _matter_page(published, tmp_path, keys)
    assert _code(line) == "altered" and "改动" in line.get_text()


async def _twin(setup: Published) -> dict[str, Any]:
    db = await sync.open_database(str(mirror_path(setup.index, VILLAGE)), create=False)
    try:
        return dict(await db.get(twin_id(setup.matter.id)))
    finally:
        await db.close()


def test_a_matter_not_published_shows_no_signature(published: Published, tmp_path: Path) -> None:
    asyncio.run(_rewrite_twin(published, {"withdrawn": True}))
    page, line = _matter_page(published, tmp_path, tmp_path / "keys")
    assert page.signature is None and line is None
