"""Issue 9 point 16: 使用帮助, a short page per area reached from the menu, and under each
stage's title one line saying what the law asks of it; on a 1366x768 laptop and a 390x844
phone, with screenshots in test-output/browser/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web import villagedata
from web.helpers import VILLAGE

import sync
from browser.helpers import fits, log_in, menu
from village_app.domain.procedure import MAJOR_STAGES
from village_app.web.pages.guide import AREAS

pytestmark = [pytest.mark.browser]

SCREENS = [(1366, 768), (390, 844)]


async def prepare_village(db: sync.Database) -> None:
    await villagedata.through_consultation(db)


@pytest.mark.parametrize("width,height", SCREENS)
def test_help_from_the_menu_and_a_page_per_area(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    expect(page.locator("#nav-help")).to_have_text("帮助")
    menu(page, "#nav-help")
    expect(page.locator("h1")).to_have_text("使用帮助")
    expect(page.locator("#nav-help")).to_have_attribute("aria-current", "page")
    expect(page.locator(".help-index dt")).to_have_count(len(AREAS))
    fits(page)
    page.screenshot(path=str(shots / f"help-index-{width}.png"), full_page=True)

    page.locator(".help-index a", has_text="事项与四议两公开").click()
    expect(page.locator("h1")).to_have_text("事项与四议两公开")
    hints = page.locator("#help-matters .help-stages").first.locator(".stage-hint")
    expect(hints).to_have_text([s.hint for s in MAJOR_STAGES])
    fits(page)
    page.screenshot(path=str(shots / f"help-matters-{width}.png"), full_page=True)

    for area in AREAS:
        page.locator(".help-areas a", has_text=area.title).click()
        expect(page.locator("h1")).to_have_text(area.title)
        expect(page.locator(".help-areas a[aria-current='page']")).to_have_text(area.title)
        page.wait_for_load_state()  # the whole page before counting its steps
        assert page.locator(".help-body li").count() >= 3  # a few concrete steps, not a stub
        fits(page)
    expect(page.locator("pre.command").first).to_contain_text(
        f"{VILLAGE}.sqlite http://用户名:密码@县服务器地址:5984/village_{VILLAGE}"
    )
    page.screenshot(path=str(shots / f"help-sync-{width}.png"), full_page=True)


# Whether the matter page fits a phone is test_small_screens.py's (issue 9 point 13).
@pytest.mark.parametrize("width,height", SCREENS)
def test_each_stage_title_has_a_line_on_what_the_law_asks(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    page.goto("/matters")
    page.locator("a", has_text="修建村东机耕道").first.click()
    for spec in MAJOR_STAGES:
        stage = page.locator(f"#stage-{spec.key}")
        title = stage.locator("h3")
        hint = stage.locator(":scope > .stage-hint")
        expect(hint).to_have_text(spec.hint)
        below = hint.bounding_box()
        above = title.bounding_box()
        assert below is not None and above is not None
        assert below["y"] >= above["y"] + above["height"] - 1  # under the title
    # The open form of the next stage does not say it a second time.
    expect(page.locator("#stage-review .stage-hint")).to_have_count(1)
    page.locator("#stage-review .stage-hint").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"stage-hints-{width}.png"))
    # The stage's own page (the form alone) says it under the form's title.
    page.goto(page.url + "/stages/review")
    expect(page.locator("legend + .stage-hint")).to_have_text(MAJOR_STAGES[2].hint)
    page.screenshot(path=str(shots / f"stage-page-hint-{width}.png"))
