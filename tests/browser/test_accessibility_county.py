"""Issue 9's accessibility check (axe-core, no serious or critical violation) over the county
pages, at 1366x768 and 390x844: every page a township reviewer reaches by links from the
villages list, over the real county that tests/browser/test_county.py provisions on the peer."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from county.provisioned import County
from playwright.sync_api import Page

from browser.axe import add_axe, check_pages, report, violations
from browser.test_county import _log_in, _wait_indexed
from browser.test_county import county as county
from browser.test_county import server as server

pytestmark = [pytest.mark.browser, pytest.mark.peer, pytest.mark.slow]

_NOT_PAGES = re.compile(r"^/(static/|logout|lang)|/(download|reply)\b|\.(xlsx|pub|cunyi)$")


def _links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc == urlsplit(page.url).netloc and not _NOT_PAGES.search(parts.path):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _kind(path: str) -> str:
    """One page of each layout: digits and ids become placeholders, queries are dropped."""
    return re.sub(r"[^/]*\d[^/]*", "{x}", path.split("?", 1)[0])


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_county_pages_have_no_serious_violation(
    page: Page, county: County, width: int, height: int
) -> None:
    add_axe(page.context)
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login")
    login = violations(page)
    _log_in(page, county, width=width, height=height)
    _wait_indexed(page)
    seen, found = check_pages(page, ["/", "/verify"], _links, _kind)
    assert len(seen) > 5, sorted(seen)
    if login:
        found["/login"] = login
    assert found == {}, report(found)
