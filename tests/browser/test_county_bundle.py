"""A village's USB stick imported on the county's pages in Chromium: a township reviewer opens
the village, uploads the stick, sees what was written and downloads the reply; at 1366x768
and on a 390-pixel phone. The county is real (provisioned on the peer, served by
``village-app serve --mode county``); the stick is a laptop's real export."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import PASSWORD, County, provision, registry_toml
from playwright.sync_api import Page, expect
from syncing.laptop import VILLAGE, village

import sync
from village_app.bundle.container import MAGIC
from village_app.bundle.keys import CountyKeys, keep_county_public_key, laptop_keys
from village_app.bundle.laptop import export_bundle

from .conftest import serving

pytestmark = [pytest.mark.browser, pytest.mark.peer]


class _CountyThread(threading.Thread):
    def __init__(self, couch_url: str, cleanup: PeerCleanup, folder: Path) -> None:
        super().__init__(daemon=True)
        self.couch_url, self.cleanup, self.folder = couch_url, cleanup, folder
        self.ready, self.stop = threading.Event(), threading.Event()
        self.county: County | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        async for county in provision(self.couch_url, self.cleanup, county_code=VILLAGE[:6]):
            keys = CountyKeys(self.folder / "county-keys")
            keys.create(county.registry.code)
            laptop = self.folder / "laptop"
            laptop.mkdir()
            keep_county_public_key(laptop, (keys.folder / "county.pub").read_bytes())
            keys.register(laptop_keys(laptop, VILLAGE).public.to_text())
            db = await sync.open_database(str(laptop / f"{VILLAGE}.sqlite"))
            try:
                await village(db, county.accounts["secretary_a"], scans=2)
                await export_bundle(db, laptop, VILLAGE, self.folder / "stick.cunyi")
            finally:
                await db.close()
            self.county = county
            self.ready.set()
            await asyncio.to_thread(self.stop.wait)


@pytest.fixture(scope="module")
def county(
    couch_url: str, peer_cleanup: PeerCleanup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_CountyThread]:
    holder = _CountyThread(couch_url, peer_cleanup, tmp_path_factory.mktemp("county-stick"))
    holder.start()
    holder.ready.wait(120)
    if holder.error is not None:
        raise holder.error
    try:
        yield holder
    finally:
        holder.stop.set()
        holder.join(60)


@pytest.fixture(scope="module")
def server(county: _CountyThread) -> Iterator[str]:
    assert county.county is not None
    folder = county.folder
    registry = folder / "county.toml"
    registry.write_text(registry_toml(county.county.registry), encoding="utf-8")
    arguments = ["--mode", "county", "--couch", county.county.url, "--registry", str(registry)]
    arguments += ["--data", str(folder / "data"), "--db-prefix", county.county.prefix]
    arguments += ["--bundle-keys", str(folder / "county-keys"), "--no-indexer"]
    with serving(arguments, folder) as url:
        yield url


def test_a_township_reviewer_imports_a_villages_stick(
    page: Page, county: _CountyThread, shots: Path, tmp_path: Path
) -> None:
    assert county.county is not None
    page.goto("/login")
    page.fill('input[name="username"]', county.county.accounts["township_a"])
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    page.goto(f"/villages/{VILLAGE}")
    page.click("#village-bundle")
    page.set_input_files("#bundle-form input[type=file]", str(county.folder / "stick.cunyi"))
    page.click("#bundle-form button[type=submit]")
    expect(page.locator("#bundle-imported")).to_contain_text("已导入第 1 次导出的文件")
    page.screenshot(path=shots / "county-bundle-1366.png", full_page=True)
    with page.expect_download() as got:
        page.click("#bundle-reply")
    reply = tmp_path / got.value.suggested_filename
    got.value.save_as(reply)
    assert reply.read_bytes().startswith(MAGIC) and reply.name == f"{VILLAGE}.reply.cunyi"
    # The same stick again: refused, nothing written.
    page.set_input_files("#bundle-form input[type=file]", str(county.folder / "stick.cunyi"))
    page.click("#bundle-form button[type=submit]")
    expect(page.locator("#bundle-error")).to_contain_text("已经导入过了")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=shots / "county-bundle-390.png", full_page=True)
