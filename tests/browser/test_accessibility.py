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


def _check(page: Page, found: dict[str, list[str]], what: str) -> None:
    if problems := violations(page):
        found[what] = problems


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_no_serious_violation_in_the_states_a_crawl_misses(
    page: Page, width: int, height: int
) -> None:
    """What only a click or a refused save shows: forms back with their errors (the summary,
    each field's message), the menu's 更多 open, a draft notice as he words it, English."""
    add_axe(page.context)
    log_in(page, width=width, height=height)
    found: dict[str, list[str]] = {}
    page.click("#nav-more > summary")
    _check(page, found, "更多 open")
    # A new matter refused (the browser's own checks set aside, as an old browser would).
    page.goto("/matters/new")
    page.eval_on_selector("#matter-form", "f => f.noValidate = true")
    page.locator('#matter-form button[type="submit"]').click()
    page.locator(".error-summary").wait_for()
    _check(page, found, "new matter refused")
    # A stage form refused in place (htmx) on a matter waiting for a meeting.
    page.goto("/matters?stage=review")
    page.locator("#results a[href^='/matters/matter']").first.click()
    form = page.locator(".stage-form").first
    form.evaluate("f => f.noValidate = true")
    form.locator('button[type="submit"]').click()
    page.locator(".stage-form .error-summary").wait_for()
    _check(page, found, "stage refused")
    # A notice worded before it is posted.
    page.goto("/matters?stage=resolution_publication")
    page.locator("#results a[href^='/matters/matter']").first.click()
    page.locator('a[data-action="notice-draft"]').click()
    page.fill('#notice-draft textarea[name="content"]', "经村民代表会议表决通过。")
    page.locator(".notice-body", has_text="经村民代表会议表决通过。").wait_for()
    _check(page, found, "draft notice")
    # English.
    page.click('.lang-switch button[data-lang="en"]')
    page.locator("html[lang=en]").wait_for()
    for path in ("/", "/matters", "/help"):
        page.goto(path)
        _check(page, found, f"{path} in English")
    page.click('.lang-switch button[data-lang="zh_CN"]')
    assert found == {}, report(found)
