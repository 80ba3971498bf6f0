"""A village's USB stick imported on the county's pages: a township reviewer uploads it on the
village's page, the records land in the village's database, the reply comes down to be saved
on the stick, and the laptop imports it; a stick imported twice, or damaged, is refused in
Chinese with nothing written."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from starlette.testclient import TestClient
from syncing.laptop import VILLAGE, village
from web.helpers import csrf_of, one, soup

import sync
from county.provisioned import PASSWORD, County, provision
from village_app.bundle.container import MAGIC
from village_app.bundle.keys import CountyKeys, keep_county_public_key, laptop_keys
from village_app.bundle.laptop import export_bundle, import_reply
from village_app.web import Settings, create_app

pytestmark = pytest.mark.peer


@dataclass
class Stick:
    county: County
    keys: Path
    laptop: Path
    bundle: Path


@pytest.fixture
async def stick(couch_url: str, peer_cleanup: PeerCleanup, tmp_path: Path) -> AsyncIterator[Stick]:
    async for county in provision(couch_url, peer_cleanup, county_code=VILLAGE[:6]):
        keys = CountyKeys(tmp_path / "county-keys")
        keys.create(county.registry.code)
        laptop = tmp_path / "laptop"
        laptop.mkdir()
        keep_county_public_key(laptop, (keys.folder / "county.pub").read_bytes())
        keys.register(laptop_keys(laptop, VILLAGE).public.to_text())
        db = await sync.open_database(str(laptop / f"{VILLAGE}.sqlite"))
        try:
            await village(db, county.accounts["secretary_a"], scans=1)
            done = await export_bundle(db, laptop, VILLAGE, tmp_path / "stick.cunyi")
        finally:
            await db.close()
        yield Stick(county, keys.folder, laptop, done.path)


def _client(stick: Stick, tmp_path: Path) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "county-data",
        mode="county",
        couch_url=stick.county.url,
        registry=stick.county.registry,
        index_dir=tmp_path / "index",
        follow_index=False,
        db_prefix=stick.county.prefix,
        bundle_keys=stick.keys,
    )
    return TestClient(create_app(settings), base_url="http://testserver")


def _log_in(client: TestClient, name: str) -> None:
    data = {"username": name, "password": PASSWORD, "csrf_token": csrf_of(client), "next": "/"}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def _upload(client: TestClient, code: str, data: bytes) -> object:
    path = f"/villages/{code}/bundle"
    return client.post(
        path,
        data={"csrf_token": csrf_of(client, path)},
        files={"bundle": ("stick.cunyi", data, "application/octet-stream")},
    )


async def _county_count(stick: Stick) -> int:
    db = await sync.open_database(f"{stick.county.url}/{stick.county.db(VILLAGE)}", create=False)
    try:
        return int((await db.info())["doc_count"])
    finally:
        await db.close()


def test_a_stick_is_imported_on_the_villages_page(stick: Stick, tmp_path: Path) -> None:
    with _client(stick, tmp_path) as client:
        _log_in(client, stick.county.accounts["township_a"])
        assert one(soup(client.get(f"/villages/{VILLAGE}")), "#village-bundle")
        page = soup(client.get(f"/villages/{VILLAGE}/bundle"))
        assert one(page, "#bundle-form") and page.select_one("#bundle-reply") is None

        broken = bytearray(stick.bundle.read_bytes())
        broken[len(broken) // 2] ^= 1
        refused = _upload(client, VILLAGE, bytes(broken))
        assert refused.status_code == 422  # type: ignore[attr-defined]
        assert "已损坏或被改动过" in one(soup(refused), "#bundle-error").get_text()
        before = asyncio.run(_county_count(stick))

        done = _upload(client, VILLAGE, stick.bundle.read_bytes())
        assert done.status_code == 200  # type: ignore[attr-defined]
        banner = one(soup(done), "#bundle-imported")
        assert int(str(banner["data-written"])) > 7 and banner["data-refused"] == "0"
        assert asyncio.run(_county_count(stick)) > before
        reply = client.get(one(soup(done), "#bundle-reply")["href"])  # type: ignore[arg-type]
        assert reply.status_code == 200 and reply.content.startswith(MAGIC)

        again = _upload(client, VILLAGE, stick.bundle.read_bytes())
        assert "已经导入过了" in one(soup(again), "#bundle-error").get_text()

    async def at_the_laptop() -> int:
        db = await sync.open_database(str(stick.laptop / f"{VILLAGE}.sqlite"))
        path = tmp_path / "reply.cunyi"
        path.write_bytes(reply.content)
        try:
            return (await import_reply(db, stick.laptop, VILLAGE, path)).number
        finally:
            await db.close()

    assert asyncio.run(at_the_laptop()) == 1


def test_another_villages_stick_is_refused_on_this_villages_page(
    stick: Stick, tmp_path: Path
) -> None:
    with _client(stick, tmp_path) as client:
        _log_in(client, stick.county.accounts["county"])
        refused = _upload(client, stick.county.village_b, stick.bundle.read_bytes())
        assert refused.status_code == 422  # type: ignore[attr-defined]
        assert "别的村的文件" in one(soup(refused), "#bundle-error").get_text()
