"""Issue 9: an automated accessibility check of every page of the field app with axe-core
(vendored), at 1366x768 and at 390x844: no serious or critical violation. The pages are those
the small-screens crawl finds (every link followed from the overview of the demo village, plus
those no link leads to), each checked as it loads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from browser.axe import add_axe, check_pages, report, violations
from browser.helpers import log_in
from browser.test_small_screens import _EXTRA, _kind, _links
from browser.test_small_screens import base_village as base_village

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_no_serious_violation_on_any_page(page: Page, width: int, height: int) -> None:
    add_axe(page.context)
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login")
    login = violations(page)
    log_in(page, width=width, height=height)
    seen, found = check_pages(page, ["/", *_EXTRA], _links, _kind)
    assert len(seen) > 20, sorted(seen)  # the crawl really went through the app
    if login:
        found["/login"] = login
    assert found == {}, report(found)
