"""The signature of a publication on the county's matter page, in Chromium: a township
reviewer opens a published matter, sees 签名有效 beside its publication with the signing key,
follows the link to the verify page, which agrees. At 1366x768 and 390x844."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import PASSWORD, County, provision, registry_toml
from county.test_county_signatures import publish
from playwright.sync_api import Page, expect
from web.helpers import VILLAGE
from web.villagedata import small_village

import sync
from village_app.bundle.keys import CountyKeys, laptop_keys
from village_app.domain import Matter
from village_app.domain.publicity import twin_id

from .conftest import serving

pytestmark = [pytest.mark.browser, pytest.mark.peer]


class _Published(threading.Thread):
    """A county with a village whose laptop published a signed resolution, held on a loop
    of its own while the tests run (Playwright's sync API owns this thread's loop)."""

    def __init__(self, couch_url: str, cleanup: PeerCleanup, folder: Path) -> None:
        super().__init__(daemon=True)
        self.couch_url, self.cleanup, self.folder = couch_url, cleanup, folder
        self.ready, self.stop = threading.Event(), threading.Event()
        self.county: County | None = None
        self.matter: Matter | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        async for county in provision(self.couch_url, self.cleanup, county_code=VILLAGE[:6]):
            laptop = await sync.open_database(str(self.folder / f"{VILLAGE}.sqlite"))
            try:
                await small_village(laptop)
                self.matter = await publish(laptop, self.folder)
                await sync.replicate(laptop, f"{county.url}/{county.db(VILLAGE)}")
            finally:
                await laptop.close()
            public = await sync.open_database(f"{county.url}/{county.public_db(VILLAGE)}")
            try:  # CouchDB's job copies the publication for the verify page
                for _ in range(300):
                    if (await public.all_docs(keys=[twin_id(self.matter.id)]))["rows"][0].get(
                        "value"
                    ):
                        break
                    await asyncio.sleep(0.1)
            finally:
                await public.close()
            self.county = county
            self.ready.set()
            await asyncio.to_thread(self.stop.wait)


@pytest.fixture(scope="module")
def published(
    couch_url: str, peer_cleanup: PeerCleanup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Published]:
    holder = _Published(couch_url, peer_cleanup, tmp_path_factory.mktemp("signed"))
    holder.start()
    holder.ready.wait(120)
    if holder.error is not None:
        raise holder.error
    assert holder.county is not None
    try:
        yield holder
    finally:
        holder.stop.set()
        holder.join(60)


@pytest.fixture(scope="module")
def server(published: _Published, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``village-app serve --mode county --keys DIR``, the laptop's key registered in DIR."""
    county = published.county
    assert county is not None
    folder = tmp_path_factory.mktemp("county-serve")
    keys = folder / "county-keys"
    CountyKeys(keys).register(laptop_keys(published.folder, VILLAGE).public.to_text())
    registry = folder / "county.toml"
    registry.write_text(registry_toml(county.registry), encoding="utf-8")
    arguments = ["--mode", "county", "--couch", county.url, "--registry", str(registry)]
    arguments += ["--data", str(folder / "data"), "--db-prefix", county.prefix]
    arguments += ["--keys", str(keys)]
    with serving(arguments, folder) as url:
        yield url


def _open_matter(page: Page, published: _Published) -> None:
    assert published.county is not None and published.matter is not None
    page.goto("/login")
    page.fill('input[name="username"]', published.county.accounts["township_a"])
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    expect(page.locator("h1")).to_contain_text("各村议事记录")
    url = f"/villages/{VILLAGE}/matters/{published.matter.id}"
    for _ in range(100):  # the app indexes the county as it starts
        answer = page.goto(url)
        if answer is not None and answer.status == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the county index never got the village's matter")


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_the_publication_shows_its_signature(
    page: Page, published: _Published, shots: Path, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    _open_matter(page, published)
    line = page.locator("#signature-resolution_publication")
    expect(line).to_have_attribute("data-code", "valid")
    expect(line).to_contain_text("签名有效")
    fingerprint = laptop_keys(published.folder, VILLAGE).public.fingerprint_text
    expect(line).to_contain_text(fingerprint)
    line.scroll_into_view_if_needed()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=shots / f"county-matter-signature-{width}.png")
    line.locator("a").click()
    expect(page.locator("#verdict")).to_have_attribute("data-code", "valid")
    page.screenshot(path=shots / f"county-verify-from-matter-{width}.png")
