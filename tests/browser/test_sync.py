"""The 同步 page in Chromium against a county provisioned on the peer, through a link the test
controls (slow, then cut, then back): a wrong password; a sync with live progress that the
cut link interrupts and that goes on by itself when the link is back; a record the county
refuses, shown with its reason; a review comment arriving on the overview; the sync log.
At 1366x768 and on a 390-pixel phone; screenshots in test-output/browser/."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import PASSWORD, County, provision
from playwright.sync_api import Page, expect
from syncing.countyproxy import CountyProxy, ThreadedProxy
from syncing.laptop import VILLAGE, more_matters, return_matter, village

import sync
from browser.helpers import fits
from village_app import accounts

from .conftest import serving

pytestmark = [pytest.mark.browser, pytest.mark.peer]

#: The secretary's password on the laptop (the county account's is ``PASSWORD``).
LAPTOP_PASSWORD = "laptop-password-1"


class _CountyThread(threading.Thread):
    """Provisions the county and makes the laptop's data folder on its own event loop, holds
    the county while the tests run, deletes it at the end."""

    def __init__(self, couch_url: str, cleanup: PeerCleanup, folder: Path) -> None:
        super().__init__(daemon=True)
        self.couch_url, self.cleanup, self.folder = couch_url, cleanup, folder
        self.ready, self.stop = threading.Event(), threading.Event()
        self.county: County | None = None
        self.matter_id = self.refused_id = ""
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        async for county in provision(self.couch_url, self.cleanup, county_code=VILLAGE[:6]):
            account = county.accounts["secretary_a"]
            db = await sync.open_database(str(self.folder / f"{VILLAGE}.sqlite"))
            try:
                # The secretary signs in on the laptop with the county's account name.
                await accounts.add_user(db, account, LAPTOP_PASSWORD, village=VILLAGE)
                matter = await village(db, account, scans=3, scan_size=120_000)
                # One matter recorded under another local name: the county refuses it.
                [refused] = await more_matters(db, "wenshu", 1, title="村西水渠")
            finally:
                await db.close()
            self.county, self.matter_id, self.refused_id = county, matter.id, refused.id
            self.ready.set()
            await asyncio.to_thread(self.stop.wait)


@pytest.fixture(scope="module")
def laptop(
    couch_url: str, peer_cleanup: PeerCleanup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_CountyThread]:
    holder = _CountyThread(couch_url, peer_cleanup, tmp_path_factory.mktemp("sync-laptop"))
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
def link(laptop: _CountyThread) -> Iterator[tuple[CountyProxy, ThreadedProxy]]:
    """The county behind a village line of about 1.2 Mbit/s."""
    assert laptop.county is not None
    runner = ThreadedProxy(laptop.county.base, bandwidth=150_000)
    with runner as proxy:
        yield proxy, runner


@pytest.fixture(scope="module")
def server(laptop: _CountyThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(["--data", str(laptop.folder)], tmp_path_factory.mktemp("sync-serve")) as url:
        yield url


def _log_in(page: Page, laptop: _CountyThread, *, width: int = 1366, height: int = 768) -> None:
    assert laptop.county is not None
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login")
    page.fill('input[name="username"]', laptop.county.accounts["secretary_a"])
    page.fill('input[name="password"]', LAPTOP_PASSWORD)
    page.click('button[type="submit"].primary')
    expect(page.locator("h1")).to_contain_text("村务概览")


def _settings(page: Page, address: str, account: str, password: str) -> None:
    page.goto("/sync")
    page.fill("input[name='address']", address)
    page.fill("input[name='account']", account)
    page.fill("input[name='password']", password)
    page.click("#sync-settings button[type='submit']")
    expect(page.locator("#sync-done")).to_be_visible()


def test_a_sync_with_a_wrong_password_then_progress_a_cut_link_and_a_refusal(
    page: Page, laptop: _CountyThread, link: tuple[CountyProxy, ThreadedProxy], shots: Path
) -> None:
    county = laptop.county
    assert county is not None
    proxy, runner = link
    address = f"http://127.0.0.1:{proxy.port}/{county.db(VILLAGE)}"
    account = county.accounts["secretary_a"]
    _log_in(page, laptop)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "not_configured")
    page.click("#sync-status")
    expect(page.locator("h1")).to_have_text("同步到县里")
    page.screenshot(path=shots / "sync-setup-1366.png", full_page=True)

    # A wrong password: said plainly, at once, and in the header.
    _settings(page, address, account, "wrong-password")
    page.click("#sync-now")
    problem = page.locator("#sync-problem")
    expect(problem).to_have_attribute("data-problem", "wrong_password")
    expect(problem).to_contain_text("账号或密码错误")
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "wrong_password")
    assert "wrong-password" not in page.content()
    page.screenshot(path=shots / "sync-wrong-password-1366.png", full_page=True)

    # The right one: progress live while it sends the scans over the slow line.
    _settings(page, address, account, PASSWORD)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "pending")
    page.click("#sync-now")
    expect(page.locator("#sync-step")).to_have_attribute("data-step", "sending")
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "syncing")
    # While it goes, the figures say what is sent; no stale "14 not sent yet" beside them.
    expect(page.locator("#sync-pending")).to_have_count(0)
    for _ in range(500):
        if proxy.up.bytes > 250_000:
            break
        time.sleep(0.02)
    page.screenshot(path=shots / "sync-progress-1366.png", full_page=True)

    # The line drops: the page says it waits; the line comes back: it goes on by itself.
    runner.call("cut")
    expect(page.locator("#sync-step")).to_have_attribute("data-step", "retrying", timeout=30_000)
    expect(page.locator(".sync-retry")).to_contain_text("自动重试")
    page.screenshot(path=shots / "sync-link-cut-1366.png", full_page=True)
    runner.call("restore")

    # Done; the record under another name is refused, with the county's reason in Chinese.
    outcome = page.locator("#sync-outcome")
    expect(outcome).to_have_attribute("data-outcome", "refused", timeout=60_000)
    refused = page.locator("#sync-refused tr[data-code='author']")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("村西水渠0")
    expect(refused).to_contain_text("记录的填写人必须是当前账号")
    expect(page.locator("#sync-figures dd[data-sent]")).not_to_have_attribute("data-sent", "0")
    page.screenshot(path=shots / "sync-refused-1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fits(page)
    page.screenshot(path=shots / "sync-refused-390.png", full_page=True)


def test_a_review_comment_arrives_and_the_log_lists_every_run(
    page: Page, laptop: _CountyThread, shots: Path
) -> None:
    county = laptop.county
    assert county is not None
    review = return_matter(
        county.url,
        county.db(VILLAGE),
        laptop.matter_id,
        county.accounts["township_a"],
        "第2阶段缺签到表，请补上",
    )
    # Playwright's sync API runs a loop in this thread: write the review from another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, review).result()
    _log_in(page, laptop)
    page.goto("/sync")
    page.click("#sync-now")
    # The refused record is not sent again (the county said no to that version; a
    # correction is a new one): this run is clean.
    expect(page.locator("#sync-outcome")).to_have_attribute("data-outcome", "ok", timeout=60_000)
    expect(page.locator("#sync-figures dd[data-received]")).to_have_attribute("data-received", "1")
    # The refused record is still flagged after that clean run: in the header of every
    # page, on the 同步 page and on its matter's page, until it is corrected.
    expect(page.locator("#sync-refused-count")).to_contain_text("县里拒收 1 条")
    page.goto("/sync")
    outstanding = page.locator(f"#sync-outstanding tr[data-docid='{laptop.refused_id}']")
    expect(outstanding).to_contain_text("记录的填写人必须是当前账号")
    outstanding.locator("a").click()
    expect(page.locator("#refused-notice")).to_contain_text("县里拒收了这个事项的 1 条记录")
    expect(page.locator("#refused-notice")).to_contain_text("记录的填写人必须是当前账号")
    page.screenshot(path=shots / "sync-refused-matter-1366.png", full_page=True)
    page.goto("/")
    returned = page.locator(f"#county-returned li[data-matter='{laptop.matter_id}']")
    expect(returned).to_contain_text("第2阶段缺签到表")
    page.screenshot(path=shots / "sync-review-arrived-1366.png", full_page=True)

    page.goto("/sync/log")
    rows = page.locator("#sync-log tr[data-outcome]")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_have_attribute("data-outcome", "refused")
    expect(rows.nth(2)).to_have_attribute("data-outcome", "failed")
    expect(page.locator("#sync-log .sync-refused tr[data-code='author']")).to_have_count(1)
    page.screenshot(path=shots / "sync-log-1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fits(page)
    page.screenshot(path=shots / "sync-log-390.png", full_page=True)
    page.goto("/sync")
    fits(page)
    page.screenshot(path=shots / "sync-page-390.png", full_page=True)


def test_automatic_sync_brings_a_review_without_a_click(
    page: Page, laptop: _CountyThread, shots: Path
) -> None:
    """Switched on from the 同步 page, the sync runs by itself: a review the county writes
    afterwards reaches the overview with no button pressed; switched off, it stops."""
    county = laptop.county
    assert county is not None
    _log_in(page, laptop)
    page.goto("/sync")
    expect(page.locator("#sync-auto")).to_have_attribute("data-auto", "off")
    page.click("#sync-auto-toggle")
    expect(page.locator("#sync-done")).to_contain_text("已开启自动同步")
    expect(page.locator("#sync-auto")).to_have_attribute("data-auto", "on")
    review = return_matter(
        county.url,
        county.db(VILLAGE),
        laptop.matter_id,
        county.accounts["township_a"],
        "公开照片不清楚，请重拍",
    )
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, review).result()
    returned = page.locator(f"#county-returned li[data-matter='{laptop.matter_id}']")
    for _ in range(60):
        page.goto("/")
        if "公开照片不清楚" in (returned.text_content() or ""):
            break
        time.sleep(0.5)
    expect(returned).to_contain_text("公开照片不清楚，请重拍")
    # Once both ways are caught up, the header says so (the page is not polled: reload).
    status = page.locator("#sync-status")
    for _ in range(60):
        if status.get_attribute("data-state") == "synced":
            break
        time.sleep(0.5)
        page.goto("/")
    expect(status).to_have_attribute("data-state", "synced")
    page.screenshot(path=shots / "sync-auto-arrived-1366.png", full_page=True)
    page.goto("/sync")
    expect(page.locator("#sync-auto")).to_contain_text("现在已同步")
    page.click("#sync-auto-toggle")
    expect(page.locator("#sync-done")).to_contain_text("已关闭自动同步")
    rows = page.locator("#sync-log tr[data-outcome]")
    page.goto("/sync/log")
    expect(page.locator("#sync-log tr[data-kind='auto']").first).to_be_visible()
    assert rows.count() >= 4
