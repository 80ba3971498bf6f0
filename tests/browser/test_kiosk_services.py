"""The kiosk's service pages and its rating form in Chromium (issue 13), on the hall's touch
screen, landscape 1920x1080 and portrait 1080x1920, and without JavaScript: body text at least
24 px, every link, button and score at least 48 px, a villager rates a project once and is
thanked, and the form is not offered again on that visit. Screenshots go to
test-output/browser/kiosk-services-*.png."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from kiosk.kioskdata import demo_kiosk
from playwright.sync_api import Browser, Page, expect

from browser.conftest import ROOT, _free_port
from browser.test_kiosk import SCREENS, _check_readable, _tab
from browser.test_kiosk_screen import _low_contrast
from village_app.kiosk.pull import KioskFolder
from village_app.kiosk.ratings import ratings_path


@pytest.fixture(scope="module")
def rating_kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A kiosk of the demo village that has an account (so it takes ratings), not following
    the county (nothing listens at the address it keeps)."""
    folder = tmp_path_factory.mktemp("kiosk")
    with ThreadPoolExecutor(1) as pool:
        code = pool.submit(asyncio.run, demo_kiosk(folder)).result()
    KioskFolder(folder).save_source(f"http://kiosk-hall:pw@127.0.0.1:9/village_{code}_public")
    port = _free_port()
    log = (tmp_path_factory.getbasetemp() / f"kiosk-services-{port}.log").open("w")
    command = ["serve", "--mode", "kiosk", "--data", str(folder), "--no-pull", "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "village_app.cli", *command], cwd=ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError(f"village-app serve --mode kiosk exited with {proc.returncode}")
            time.sleep(0.1)
        yield url, folder
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _checked(page: Page, where: str) -> None:
    """As every kiosk page: readable, large targets, text at least 7:1 against its ground."""
    _check_readable(page, where)
    assert _low_contrast(page) == [], where


def _scores_large_enough(page: Page, where: str) -> None:
    """The score choices are labels (their radios hidden): each a touch target too."""
    small = page.evaluate(
        """() => [...document.querySelectorAll('label.k-s-score')]
            .map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })
            .filter(([w, h]) => w < 48 || h < 48)"""
    )
    assert small == [], (where, small)


def _rated(folder: Path) -> int:
    async def count() -> int:
        import sync

        db = await sync.open_database(str(ratings_path(folder)), create=False)
        try:
            return int((await db.info())["doc_count"])
        finally:
            await db.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, count()).result()


def _visit(page: Page, shots: Path, screen: str, folder: Path, project: int) -> None:
    page.goto("/")
    expect(page.locator("#tile-kiosk_services")).to_be_visible()
    page.screenshot(path=str(shots / f"kiosk-services-home-{screen}.png"))
    page.click("#tile-kiosk_services")
    expect(page.locator("h1")).to_have_text("服务项目")
    _checked(page, f"{screen} services")
    page.screenshot(path=str(shots / f"kiosk-services-list-{screen}.png"), full_page=True)
    page.locator("a.k-card").nth(project).click()
    expect(page.locator("#project-title")).to_be_visible()
    _checked(page, f"{screen} project")
    _scores_large_enough(page, f"{screen} project")
    page.screenshot(path=str(shots / f"kiosk-services-project-{screen}.png"), full_page=True)
    before = _rated(folder)
    page.click("#rate-button")  # down to the form
    expect(page.locator("#rating-form")).to_be_in_viewport()
    # Nothing chosen: asked again, nothing kept.
    page.click("#rating-submit")
    expect(page.locator("#rating-error")).to_be_visible()
    for heart, score in (("filial", 5), ("love", 4), ("close", 5)):
        page.click(f"label[for=score-{heart}-{score}]")
    assert _low_contrast(page) == [], f"{screen} chosen"  # white on red when chosen
    page.screenshot(path=str(shots / f"kiosk-services-chosen-{screen}.png"), full_page=True)
    page.click("#rating-submit")
    expect(page.locator("#rating-thanks")).to_be_visible()
    assert page.locator("#rating-form").count() == 0
    _checked(page, f"{screen} thanks")
    page.locator("#rating").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"kiosk-services-thanks-{screen}.png"))
    assert _rated(folder) == before + 1
    # Back to the list and in again, in the same visit: no form for that project.
    page.click("#back-button")
    page.locator("a.k-card").nth(project).click()
    expect(page.locator("#rating-closed")).to_be_visible()
    assert page.locator("#rating-form").count() == 0
    # 公益岗位.
    page.click("#home-button")
    page.click("#tile-kiosk_posts")
    expect(page.locator("h1")).to_have_text("公益岗位")
    _checked(page, f"{screen} posts")
    page.screenshot(path=str(shots / f"kiosk-services-posts-{screen}.png"), full_page=True)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_service_pages_and_a_rating_on_the_touch_screen(
    browser: Browser, rating_kiosk: tuple[str, Path], shots: Path, screen: str
) -> None:
    url, folder = rating_kiosk
    with _tab(browser, url, screen, has_touch=True) as page:
        _visit(page, shots, screen, folder, project=0 if screen == "landscape" else 1)


def test_a_rating_without_javascript(
    browser: Browser, rating_kiosk: tuple[str, Path], shots: Path
) -> None:
    url, folder = rating_kiosk
    with _tab(browser, url, "portrait", java_script_enabled=False) as page:
        _visit(page, shots, "portrait-nojs", folder, project=2)
