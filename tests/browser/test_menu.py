"""Issue 9: the field menu keeps to one line on a 1366 px laptop (the less used pages under
更多, a <details> that opens without scripts too), still works on a 390 px phone, marks the
page one is on (更多 itself when the page is in it), and the skip link stays first."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The worst sync state the header shows (offline since a time, records waiting and refused).
_LONG_SYNC = "无法连接县里 <small>12月3日 14:30 起</small> <small>· 待同步 128 条</small> <small>· 县里拒收 12 条</small>"


def _rows(page: Page, selector: str) -> list[float]:
    """The distinct vertical centres of the children of ``selector`` (one: one line)."""
    centres: list[float] = page.eval_on_selector(
        selector,
        """e => [...e.children].filter(c => c.offsetParent !== null).map(c => {
             const r = c.getBoundingClientRect(); return Math.round(r.top + r.height / 2); })""",
    )
    return sorted(set(centres))


def _one_line(page: Page) -> None:
    nav = _rows(page, ".main-nav")
    assert max(nav) - min(nav) <= 4, f"the menu wraps: rows at {nav}"
    header = _rows(page, ".site-header")
    assert max(header) - min(header) <= 8, f"the header wraps: rows at {header}"
    # ...and no word of it is broken over two lines to make it fit.
    tall = page.eval_on_selector_all(
        ".site-header :is(a, button, summary, .sync-status, .user)",
        """es => es.filter(e => e.offsetParent !== null && e.getBoundingClientRect().height > 48)
                 .map(e => e.textContent.trim())""",
    )
    assert tall == [], f"broken over two lines: {tall}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_one_line_at_1366(page: Page, shots: Path) -> None:
    log_in(page)
    for path in ("/", "/matters", "/supervision", "/ledgers", "/services"):
        page.goto(path)
        _one_line(page)
    # Also with the longest sync state and an English menu.
    page.eval_on_selector("#sync-status", "(e, html) => { e.innerHTML = html; }", _LONG_SYNC)
    _one_line(page)
    page.screenshot(path=shots / "menu-1366-long-sync.png")
    page.click('.lang-switch button[data-lang="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _one_line(page)
    page.screenshot(path=shots / "menu-1366-english.png")
    page.click('.lang-switch button[data-lang="zh_CN"]')
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_more_opens_marks_and_closes(page: Page, shots: Path) -> None:
    log_in(page)
    page.goto("/matters")
    expect(page.locator('.main-nav a[aria-current="page"]')).to_have_text("事项")
    expect(page.locator("#nav-more > summary")).not_to_have_class("here")
    # The skip link is still the first stop of the keyboard.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    rules = page.locator("#nav-rules")
    expect(rules).to_be_hidden()
    page.click("#nav-more > summary")
    expect(rules).to_be_visible()
    page.screenshot(path=shots / "menu-1366-more-open.png")
    page.keyboard.press("Escape")  # closes, back on its button
    expect(rules).to_be_hidden()
    expect(page.locator("#nav-more > summary")).to_be_focused()
    page.keyboard.press("Enter")  # the keyboard opens it too
    expect(rules).to_be_visible()
    page.click("h1")  # a click elsewhere closes it
    expect(rules).to_be_hidden()
    page.click("#nav-more > summary")
    rules.click()
    expect(page.locator("h1")).to_have_text("村规民约与章程")
    # On a page under 更多, 更多 is marked, and the link inside when it is opened.
    expect(page.locator("#nav-more > summary")).to_have_class("here")
    expect(page.locator(".main-nav [aria-current]")).to_have_count(1)
    expect(rules).to_have_attribute("aria-current", "page")
    page.screenshot(path=shots / "menu-1366-rules-marked.png")


def test_on_a_phone(page: Page, shots: Path) -> None:
    log_in(page, width=390, height=844)
    page.goto("/matters")
    page.click("#nav-more > summary")
    links = page.locator(".nav-more-links a")
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=shots / "menu-390-more-open.png")
    page.locator("#nav-services").click()
    expect(page.locator("h1")).to_have_text("社会服务")
    expect(page.locator("#nav-more > summary")).to_have_class("here")


def test_without_javascript(browser: Browser, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, base_url=server, java_script_enabled=False
    )
    page = context.new_page()
    try:
        log_in(page)
        page.click("#nav-more > summary")
        page.locator("#nav-help").click()
        expect(page.locator("h1")).to_have_text("使用帮助")
    finally:
        context.close()
