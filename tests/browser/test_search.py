"""The header's search box as the secretary uses it: typing updates the results in place
(htmx), on a 1366x768 laptop and a 390 px phone, and a result leads to its matter."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web import villagedata

import sync
from browser.helpers import log_in
from village_app.domain import Matter

pytestmark = [pytest.mark.browser]


async def prepare_village(db: sync.Database) -> None:
    store = villagedata.store(db)
    await villagedata.major_matter(db)
    await store.create_matter(
        Matter(
            kind="major",
            title="主干道太阳能路灯安装",
            body="",
            year=2026,
            summary="沿主干道安装 40 盏太阳能路灯，夜间照明覆盖全村。",
        )
    )
    await store.create_matter(
        Matter(kind="major", title="<b>加粗</b>太阳能热水器", body="", year=2026)
    )


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_typing_in_the_header_box_shows_results(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    page.goto("/matters")
    box = page.locator("header #site-search-q")
    expect(box).to_be_visible()
    link = page.locator(".main-nav a").nth(1).bounding_box()  # 组织与成员: one line, not five
    assert link is not None and link["width"] > 2 * link["height"], link
    box.press_sequentially("太阳能", delay=50)
    results = page.locator("#search-results")
    expect(results).to_have_attribute("data-query", "太阳能")
    hits = results.locator('.search-group[data-kind="matter"] li')
    expect(hits).to_have_count(2)
    expect(hits.locator("mark").first).to_have_text("太阳能")
    expect(results).to_contain_text("<b>加粗</b>太阳能热水器")  # markup in a title stays text
    expect(results.locator("b")).to_have_count(0)
    assert "/search?q=" in page.url  # the address can be bookmarked or reloaded
    expect(box).to_be_focused()  # the box was not re-rendered under the typist
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(shots / f"search-{width}.png"), full_page=True)
    assert overflow <= 0
    box.press_sequentially("路灯", delay=50)
    expect(results).to_have_attribute("data-query", "太阳能路灯")
    expect(hits).to_have_count(1)
    hits.locator("a").click()
    expect(page.locator("h1")).to_have_text("主干道太阳能路灯安装")
