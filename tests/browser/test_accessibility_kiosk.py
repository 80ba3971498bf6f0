"""Issue 9's accessibility check (axe-core, no serious or critical violation) over the kiosk:
every page reached by links from its home screen, on its two touch screens (1920x1080,
1080x1920) and at 1366x768 and 390x844, over the demo kiosk tests/browser/test_kiosk.py
serves."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from browser.axe import add_axe, check_pages, report
from browser.test_kiosk import _tab
from browser.test_kiosk import kiosk_url as kiosk_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc == urlsplit(page.url).netloc and not parts.path.startswith("/static/"):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _kind(path: str) -> str:
    """A page of each layout, and each page of a list (``?page=2`` is another screen)."""
    return re.sub(r"/matters/[^/?]+|/rosters/[^/?]+", lambda m: m[0][:8] + "{x}", path)


@pytest.mark.parametrize("width,height", [(1920, 1080), (1080, 1920), (1366, 768), (390, 844)])
def test_kiosk_pages_have_no_serious_violation(
    browser: Browser, kiosk_url: str, width: int, height: int
) -> None:
    with _tab(browser, kiosk_url, "landscape") as page:
        add_axe(page.context)
        page.set_viewport_size({"width": width, "height": height})
        seen, found = check_pages(page, ["/", "/no-such-page"], _links, _kind)
        assert len(seen) > 6, sorted(seen)
        assert found == {}, report(found)
