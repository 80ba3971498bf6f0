"""Issue 9 point 15: a skip link first in the tab order, the current page marked in the menu,
and a focus ring thick enough to see (WCAG 2.2 focus appearance: at least 2 px)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser.helpers import log_in

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_skip_link_current_page_and_focus_ring(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    page.goto("/matters")
    expect(page.locator('.main-nav a[aria-current="page"]')).to_have_text("事项")
    expect(page.locator(".main-nav a[aria-current]")).to_have_count(1)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10  # shown when focused
    ring = skip.evaluate("e => parseFloat(getComputedStyle(e).outlineWidth)")
    assert ring >= 2
    page.screenshot(path=str(shots / f"skip-link-{width}.png"))
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")  # the first thing in the page's content
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused
