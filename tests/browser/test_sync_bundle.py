"""A USB stick in Chromium, as the secretary uses it: keys exchanged once (his key downloaded
for the county, the county's uploaded), 导出到U盘 downloads the bundle, the county imports it
(with a review of his matter waiting), his upload of the county's reply brings the review to
the overview; a damaged reply is refused in plain words. At 1366x768 and 390 px."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import County, provision
from playwright.sync_api import Page, expect
from syncing.laptop import VILLAGE, return_matter, village

import sync
from browser.helpers import fits
from village_app import accounts
from village_app.bundle.county import import_bundle
from village_app.bundle.keys import CountyKeys

from .conftest import serving

pytestmark = [pytest.mark.browser, pytest.mark.peer]

PASSWORD = "laptop-password-1"
ACCOUNT = "cunwen"


class _CountyThread(threading.Thread):
    def __init__(self, couch_url: str, cleanup: PeerCleanup, folder: Path) -> None:
        super().__init__(daemon=True)
        self.couch_url, self.cleanup, self.folder = couch_url, cleanup, folder
        self.ready, self.stop = threading.Event(), threading.Event()
        self.county: County | None = None
        self.matter_id = ""
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        async for county in provision(self.couch_url, self.cleanup, county_code=VILLAGE[:6]):
            db = await sync.open_database(str(self.folder / f"{VILLAGE}.sqlite"))
            try:
                await accounts.add_user(db, ACCOUNT, PASSWORD, village=VILLAGE)
                matter = await village(db, ACCOUNT, scans=2, scan_size=60_000)
            finally:
                await db.close()
            self.county, self.matter_id = county, matter.id
            self.ready.set()
            await asyncio.to_thread(self.stop.wait)


@pytest.fixture(scope="module")
def laptop(
    couch_url: str, peer_cleanup: PeerCleanup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_CountyThread]:
    holder = _CountyThread(couch_url, peer_cleanup, tmp_path_factory.mktemp("stick-laptop"))
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
def server(laptop: _CountyThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(["--data", str(laptop.folder)], tmp_path_factory.mktemp("stick-serve")) as url:
        yield url


def _in_thread(coroutine: object) -> object:
    """Run a coroutine to its end in another thread (Playwright's loop owns this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()  # type: ignore[arg-type]


def test_a_stick_to_the_county_and_its_reply_back(
    page: Page, laptop: _CountyThread, shots: Path, tmp_path: Path
) -> None:
    county = laptop.county
    assert county is not None
    page.goto("/login")
    page.fill('input[name="username"]', ACCOUNT)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    page.goto("/sync")
    expect(page.locator("#bundle-laptop-key")).to_be_visible()
    page.locator("#sync-bundle").screenshot(path=shots / "sync-bundle-keys-1366.png")

    # The keys: his goes to the county, the county's comes to him.
    with page.expect_download() as got:
        page.click("#bundle-laptop-key")
    laptop_pub = tmp_path / "laptop.pub"
    got.value.save_as(laptop_pub)
    keys = CountyKeys(tmp_path / "county-keys")
    keys.create(county.registry.code)
    keys.register(laptop_pub.read_bytes())
    page.set_input_files(
        "#bundle-county-key-form input[type=file]", str(keys.folder / "county.pub")
    )
    page.click("#bundle-county-key-form button[type=submit]")
    expect(page.locator("#bundle-done")).to_contain_text("已保存县里的公钥")

    # 导出到U盘: a file to save on the stick.
    with page.expect_download() as got:
        page.click("#bundle-export")
    stick = tmp_path / got.value.suggested_filename
    got.value.save_as(stick)
    assert stick.name.startswith(f"cunyi-{VILLAGE}-") and stick.suffix == ".cunyi"
    page.goto("/sync")
    page.locator("#sync-bundle").screenshot(path=shots / "sync-bundle-1366.png")

    # At the county: a township reviewer returns his matter; the clerk imports the stick.
    _in_thread(
        return_matter(
            county.url,
            county.db(VILLAGE),
            laptop.matter_id,
            county.accounts["township_a"],
            "第2阶段缺签到表",
        )
    )
    done = _in_thread(import_bundle(county.url, keys.folder, stick, prefix=county.prefix))
    reply: Path = done.reply  # type: ignore[attr-defined]

    # A damaged reply first: refused, in plain words.
    broken = tmp_path / "broken.cunyi"
    data = bytearray(reply.read_bytes())
    data[len(data) // 2] ^= 1
    broken.write_bytes(bytes(data))
    page.set_input_files("#bundle-reply-form input[type=file]", str(broken))
    page.click("#bundle-reply")
    expect(page.locator("#bundle-error")).to_contain_text("已损坏或被改动过")
    page.locator("#sync-bundle").screenshot(path=shots / "sync-bundle-damaged-1366.png")

    # The real one: the review arrives; the county acknowledged everything.
    page.set_input_files("#bundle-reply-form input[type=file]", str(reply))
    page.click("#bundle-reply")
    expect(page.locator("#bundle-done")).to_have_attribute("data-received", "1")
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "synced")
    page.locator("#sync-bundle").screenshot(path=shots / "sync-bundle-reply-1366.png")
    page.goto("/")
    expect(page.locator(f"#county-returned li[data-matter='{laptop.matter_id}']")).to_contain_text(
        "第2阶段缺签到表"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/sync")
    fits(page)
    page.screenshot(path=shots / "sync-bundle-390.png", full_page=True)
