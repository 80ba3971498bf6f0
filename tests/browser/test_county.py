"""County mode in Chromium, as a township reviewer uses it: sign in with the CouchDB account,
find the village, open the matter waiting for review, return it with a comment on a stage; at
1366x768 and on a 390-pixel phone. The county is real: provisioned on the peer, a laptop's
records pushed to it, ``village-app serve --mode county`` indexing it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import PASSWORD, County, provision, registry_toml
from county.test_county_pages import resolved_matter
from playwright.sync_api import Page, expect
from web.helpers import VILLAGE
from web.villagedata import small_village

import sync
from browser.helpers import fits
from village_app.demo.county import village_docs

from .conftest import serving

pytestmark = [pytest.mark.browser, pytest.mark.peer]


class _CountyThread(threading.Thread):
    """Provisions the county on its own event loop, holds it while the tests run, and
    deletes it at the end (Playwright's sync API owns this thread's loop)."""

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
            laptop = await sync.open_database(str(self.folder / "laptop.sqlite"))
            try:
                await small_village(laptop)
                await resolved_matter(laptop)
                await sync.replicate(laptop, f"{county.url}/{county.db(VILLAGE)}")
            finally:
                await laptop.close()
            other = await sync.open_database(f"{county.url}/{county.db(county.village_b)}")
            try:
                await other.bulk_docs(village_docs(county.village_b, matters=6, name="乙村"))
            finally:
                await other.close()
            self.county = county
            self.ready.set()
            await asyncio.to_thread(self.stop.wait)


@pytest.fixture(scope="module")
def county(
    couch_url: str, peer_cleanup: PeerCleanup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[County]:
    holder = _CountyThread(couch_url, peer_cleanup, tmp_path_factory.mktemp("county"))
    holder.start()
    holder.ready.wait(120)
    if holder.error is not None:
        raise holder.error
    assert holder.county is not None
    try:
        yield holder.county
    finally:
        holder.stop.set()
        holder.join(60)


@pytest.fixture(scope="module")
def server(county: County, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``village-app serve --mode county`` over the county (indexing it itself)."""
    folder = tmp_path_factory.mktemp("county-serve")
    registry = folder / "county.toml"
    registry.write_text(registry_toml(county.registry), encoding="utf-8")
    arguments = ["--mode", "county", "--couch", county.url, "--registry", str(registry)]
    arguments += ["--data", str(folder / "data"), "--db-prefix", county.prefix]
    with serving(arguments, folder) as url:
        yield url


def _log_in(page: Page, county: County, *, width: int, height: int = 844) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login")
    page.fill('input[name="username"]', county.accounts["township_a"])
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    expect(page.locator("h1")).to_contain_text("各村议事记录")


def _wait_indexed(page: Page) -> None:
    """The app indexes the county as it starts: reload until the village's records show."""
    for _ in range(100):
        if page.locator(f"tr[data-village='{VILLAGE}'] td.pending strong").count():
            return
        time.sleep(0.2)
        page.reload()
    raise AssertionError("the county index never showed the village's matter")


def test_a_township_reviewer_returns_a_matter(page: Page, county: County, shots: Path) -> None:
    _log_in(page, county, width=1366, height=768)
    _wait_indexed(page)
    # Only the reviewer's township: village B (another township) is not listed.
    expect(page.locator("tr[data-village]")).to_have_count(1)
    page.screenshot(path=shots / "county-villages-1366.png", full_page=True)
    page.click("nav >> text=待审核")
    page.locator("#queue a").first.click()
    expect(page.locator("#checks")).to_be_visible()
    expect(page.locator("li[data-check='signed_sheet'][data-stage='resolution']")).to_have_class(
        "check-item fail"
    )
    page.screenshot(path=shots / "county-matter-1366.png", full_page=True)
    page.check("input[name=decision][value=returned]")
    page.click("text=提交审核意见")
    # Refused: a return says why. The message is where the reviewer is, and focused.
    expect(page.locator("#review-error")).to_be_focused()
    expect(page.locator("input[name=decision][value=returned]")).to_be_checked()
    page.locator("#review-form details summary").click()
    page.fill("#stage-comment-resolution", "第4阶段缺签到表")
    page.click("text=提交审核意见")
    expect(page.locator("#review-saved")).to_be_visible()
    expect(page.locator("#reviews li.review").first).to_contain_text("第4阶段缺签到表")
    page.screenshot(path=shots / "county-review-saved-1366.png")


def test_county_pages_fit_a_phone(page: Page, county: County, shots: Path) -> None:
    _log_in(page, county, width=390)
    _wait_indexed(page)
    fits(page)
    page.screenshot(path=shots / "county-villages-390.png", full_page=True)
    page.goto(f"/villages/{VILLAGE}")
    fits(page)
    page.locator("#village-matters a").first.click()
    expect(page.locator("#checks")).to_be_visible()
    fits(page)
    page.screenshot(path=shots / "county-matter-390.png", full_page=True)
    page.goto("/dashboard")
    expect(page.locator("#chart-stages svg")).to_be_visible()
    fits(page)
    page.screenshot(path=shots / "county-dashboard-390.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=shots / "county-dashboard-1366.png", full_page=True)
