"""Issue 9 point 6: the stage form says 票数留空时按名单计算; a named vote with the counts left
blank is saved, the counts taken from the names (the browser used to refuse: 赞成 was required)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web import villagedata

import sync
from browser.helpers import log_in
from village_app.domain import BodyKind, Member

pytestmark = [pytest.mark.browser]


async def prepare_village(db: sync.Database) -> None:
    # Two matters whose review (党员大会审议, with a vote) is next: one per screen size; the
    # party members on the branch's roster (the named vote is one row a member, point 5).
    for name in ("甲", "乙", "丙", "丁"):
        await villagedata.store(db).add_member(
            Member(BodyKind.PARTY_BRANCH, name, "党员", dt.date(2024, 1, 1))
        )
    await villagedata.through_consultation(db)
    await villagedata.through_consultation(db)


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_counts_left_blank_are_taken_from_the_named_vote(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    page.goto("/matters")
    page.locator("table a, .matters a").filter(has_text="机耕道").nth(
        0 if width > 1000 else 1
    ).click()
    form = page.locator("#stage-form-review")
    form.locator('[name="held_at"]').fill("2026-11-10T19:00")
    form.locator('[name="place"]').fill("村委会议室")
    expect(form.locator('[name="expected"]')).to_have_value("5")  # 李书记 and the four
    form.locator("[data-tick=all]").click()
    expect(form.locator('[name="present"]')).to_have_value("5")
    form.locator("details.named-vote summary").click()
    for name in ("甲", "乙", "丙", "丁"):
        form.locator(f'tr[data-voter="{name}"] input[value="for"]').check()
    form.locator('tr[data-voter="李书记"] input[value="against"]').check()
    page.screenshot(path=str(shots / f"named-vote-{width}.png"), full_page=True)
    form.locator('button[type="submit"]').click()
    expect(page.locator("#stage-review")).to_have_attribute("data-status", "done")
    expect(page.locator("#stage-review")).to_contain_text("4")
