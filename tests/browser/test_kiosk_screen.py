"""The kiosk's screen, measured in Chromium where tests/browser/test_kiosk.py does not: high
contrast (every piece of text at least 7:1 against what is behind it, WCAG's enhanced level,
for a hall's lighting and older eyes), a large 返回首页 at the top of every page but the home
screen, 最后更新 on every page, and the plain warning when the kiosk has been out of touch with
the county for more than a week. On the landscape 1920x1080 and portrait 1080x1920 screens;
screenshots in test-output/browser/kiosk-screen-*.png."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

import sync
from browser.test_kiosk import SCREENS, _tab, kiosk_url_folder
from browser.test_kiosk import kiosk_url as kiosk_url
from village_app.domain.dates import now_utc, utc_stamp
from village_app.kiosk.pull import STATUS_ID, KioskFolder

pytestmark = pytest.mark.browser

#: Text against its background, at least (WCAG 2 "enhanced" contrast, 1.4.6).
CONTRAST = 7.0
#: 返回首页: well past the 48 px every target has, and its text larger than the body's.
HOME_BUTTON_HEIGHT = 72
HOME_BUTTON_WIDTH = 200
HOME_BUTTON_TEXT = 28
_DATE = re.compile(r"最后更新：\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}")

#: Each visible piece of text: its colour blended over the backgrounds behind it (opacity
#: included), and the contrast ratio between the two (WCAG's relative luminance).
_CONTRASTS = """() => {
  const parse = c => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = rgb => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
  };
  const behind = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let base = [255, 255, 255];
    for (const c of layers.reverse()) base = base.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
    return base;
  };
  const opacity = el => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  };
  const found = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (!el.getClientRects().length || style.visibility === 'hidden') continue;
    if (el.closest('[aria-hidden="true"]')) continue;  // a disabled pager button: not text
    const bg = behind(el);
    const fg = parse(style.color);
    const a = fg[3] * opacity(el);
    const ink = fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
    const [hi, lo] = [lum(ink), lum(bg)].sort((x, y) => y - x);
    found.push([el.textContent.trim().slice(0, 16), (hi + 0.05) / (lo + 0.05), el.className]);
  }
  return found;
}"""


def _pages(page: Page) -> Iterator[str]:
    """Every kind of kiosk page, reached as a villager would, by its links."""
    yield "/"
    for section in ("resolutions", "results", "rosters", "rules", "standard", "board"):
        yield f"/{section}"
    page.goto("/resolutions")
    first = page.locator("a.k-card").first.get_attribute("href")
    assert first is not None
    yield first
    yield "/resolutions?page=2"
    page.goto("/rosters")
    roster = page.locator("a.k-tile").first.get_attribute("href")
    assert roster is not None
    yield roster


def _low_contrast(page: Page) -> list[Any]:
    page.wait_for_load_state()  # the whole page, not the half parsed when a click returned
    found: list[Any] = page.evaluate(_CONTRASTS)
    assert found, page.url  # the measure saw the page's text: it can fail
    return [(text, round(ratio, 2), where) for text, ratio, where in found if ratio < CONTRAST]


def _set_contact(folder: Path, when: str | None) -> None:
    async def run() -> None:
        db = await sync.open_database(str(KioskFolder(folder).store_path))
        try:
            doc = await db.get_local(STATUS_ID)
            await db.put_local({**doc, "last_contact": when})
        finally:
            await db.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_high_contrast_a_large_home_button_and_the_last_update(
    browser: Browser, kiosk_url: str, shots: Path, screen: str
) -> None:
    width, height = SCREENS[screen]
    with _tab(browser, kiosk_url, screen, has_touch=True) as page:
        for path in list(_pages(page)):
            page.goto(path)
            assert _low_contrast(page) == [], path
            footer = page.locator("#last-update")
            expect(footer).to_be_visible()
            assert _DATE.search(footer.inner_text()), (path, footer.inner_text())
            if path == "/":
                assert page.locator("#home-button").count() == 0
                continue
            home = page.locator("#home-button")
            box = home.bounding_box()
            assert box is not None, path
            size = float(home.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
            assert box["height"] >= HOME_BUTTON_HEIGHT and box["width"] >= HOME_BUTTON_WIDTH, box
            assert size >= HOME_BUTTON_TEXT, (path, size)
            # At the top of the screen as the page opens: found without scrolling.
            assert box["y"] >= 0 and box["y"] + box["height"] <= height / 4, (path, box)
            assert box["x"] + box["width"] <= width, (path, box)
        page.goto("/rules")
        page.screenshot(path=str(shots / f"kiosk-screen-rules-{screen}.png"))


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_out_of_touch_for_more_than_a_week(
    browser: Browser, kiosk_url: str, shots: Path, screen: str
) -> None:
    folder = kiosk_url_folder(kiosk_url)
    height = SCREENS[screen][1]
    try:
        _set_contact(folder, utc_stamp(now_utc() - timedelta(days=9)))
        with _tab(browser, kiosk_url, screen) as page:
            for path in ("/", "/resolutions"):
                page.goto(path)
                warning = page.locator("#out-of-touch")
                expect(warning).to_be_visible()
                expect(warning).to_contain_text("超过一周没有和县里联网")
                box = warning.bounding_box()
                assert box is not None and box["y"] + box["height"] <= height / 3, box
                assert _low_contrast(page) == [], path
                page.screenshot(path=str(shots / f"kiosk-screen-out-of-touch-{screen}.png"))
        _set_contact(folder, utc_stamp(now_utc() - timedelta(days=6)))
        with _tab(browser, kiosk_url, screen) as page:
            page.goto("/")
            expect(page.locator("#last-update")).to_be_visible()
            assert page.locator("#out-of-touch").count() == 0
    finally:
        _set_contact(folder, utc_stamp())


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_every_section_is_on_the_first_screen(
    browser: Browser, kiosk_url: str, shots: Path, screen: str
) -> None:
    """The home screen is the kiosk's menu: every section's button is whole on the screen
    without scrolling, which a villager may not think of on a touch screen."""
    with _tab(browser, kiosk_url, screen) as page:
        page.goto("/")
        tiles = page.locator(".k-tile")
        expect(tiles).to_have_count(8)
        below = page.evaluate(
            """[...document.querySelectorAll('.k-tile')]
            .filter(t => t.getBoundingClientRect().bottom > window.innerHeight)
            .map(t => t.id)"""
        )
        page.screenshot(path=shots / f"kiosk-screen-home-{screen}.png")
        assert below == [], f"below the first screen at {screen}: {below}"
