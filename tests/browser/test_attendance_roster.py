"""Issue 9 point 5 in Chromium, on the demo village: 应到 comes from the roster, attendance is
ticked (实到 follows the ticks), a named vote is one row a person, and 应到 unlike the roster is
said while typing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from web.helpers import VILLAGE

import sync
from browser.helpers import log_in
from village_app.demo.build import build_demo, load_script

pytestmark = [pytest.mark.browser]


async def base_village(db: sync.Database) -> None:
    script = load_script()
    script["village"] = {**script["village"], "code": VILLAGE}
    await build_demo(db, script)


def _new_matter(page: Page, title: str) -> None:
    page.goto("/matters/new")
    page.fill('#matter-form input[name="title"]', title)
    page.click('#matter-form button[type="submit"]')
    expect(page.locator("#stage-form-proposal")).to_be_visible()


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_attendance_is_ticked_on_the_roster(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    _new_matter(page, f"村口路灯维修（{width}）")
    form = page.locator("#stage-form-proposal")
    expected = form.locator('input[name="expected"]')
    expect(expected).to_have_value("5")  # the branch committee on the day
    ticks = form.locator('input[name="attendee"]')
    expect(ticks).to_have_count(5)
    form.locator('[name="held_at"]').fill("2026-11-02T19:30")
    # A day typed brings that day's roster (swapped in): still the same five.
    expect(form.locator(".roster-source")).to_contain_text("2026年11月2日")
    for i in range(4):
        ticks.nth(i).check()
    expect(form.locator('input[name="present"]')).to_have_value("4")
    outcome = page.locator('#live-proposal [data-live="outcome"]')
    expect(outcome).to_have_attribute("data-quorate", "yes")
    expect(outcome).to_contain_text("出席率 80.0%")  # the last tick counted
    form.locator('[name="content"]').fill("提议维修村口路灯。")
    form.locator(".roster-ticks").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"roster-ticks-{width}.png"))
    # 应到 unlike the roster is said, not refused.
    expected.fill("6")
    warning = page.locator('#live-proposal [data-live="warning"]')
    expect(warning).to_contain_text("与名单上的 5 人不一致")
    expected.fill("5")
    expect(warning).to_have_count(0)
    form.locator('button[type="submit"]').click()
    saved = page.locator("#stage-proposal article.just-saved")
    expect(saved.locator(".attendance")).to_contain_text("应到 5 人，实到 4 人")

    # The two committees: one roster of both (two sit on both, counted once).
    form = page.locator("#stage-form-consultation")
    expect(form.locator('input[name="expected"]')).to_have_value("8")
    form.locator("[data-tick=all]").click()
    expect(form.locator('input[name="present"]')).to_have_value("8")
    page.screenshot(path=str(shots / f"roster-two-committees-{width}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_named_vote_row_by_row(page: Page, shots: Path) -> None:
    log_in(page, width=1366, height=768)
    page.goto("/matters?stage=review")
    page.locator("#results tr[data-matter] a").first.click()
    form = page.locator("#stage-form-review")
    expect(form.locator('input[name="expected"]')).to_have_value("30")  # every party member
    form.locator("details.named-vote summary").click()
    rows = form.locator("table.named-votes tr[data-voter]")
    expect(rows).to_have_count(30)
    rows.first.locator('input[value="for"]').check()
    rows.nth(1).locator('input[value="against"]').check()
    rows.first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "roster-named-vote-1366.png"))
    page.set_viewport_size({"width": 390, "height": 844})  # the same form on a phone
    rows.first.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "roster-named-vote-390.png"))


def test_what_is_done_while_the_roster_comes_is_kept(page: Page) -> None:
    # A day typed asks for that day's roster with the form as it was. He ticks everyone,
    # opens the named vote and records a vote before it comes: all of that stays (it used
    # to come back unticked and closed, and the row he was clicking vanished under him).
    log_in(page, width=1366, height=768)
    page.goto("/matters?stage=review")
    page.locator("#results tr[data-matter] a").first.click()
    form = page.locator("#stage-form-review")
    held: list[Route] = []
    roster = re.compile(r"/stages/review/roster")

    def hold(route: Route) -> None:  # the first one only
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(roster, hold)
    form.locator('[name="held_at"]').fill("2026-11-02T19:30")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the day typed asked for no roster"
    form.locator("[data-tick=all]").click()
    form.locator("details.named-vote summary").click()
    first = form.locator("table.named-votes tr[data-voter]").first
    first.locator('input[value="for"]').check()
    held[0].continue_()

    expect(form.locator(".roster-source")).to_contain_text("2026年11月2日")  # swapped in
    expect(form.locator("details.named-vote")).to_have_attribute("open", "")
    expect(first.locator('input[value="for"]')).to_be_checked()
    ticks = form.locator('input[name="attendee"]')
    expect(form.locator('input[name="attendee"]:checked')).to_have_count(ticks.count())
    expect(form.locator('input[name="present"]')).to_have_value(str(ticks.count()))
