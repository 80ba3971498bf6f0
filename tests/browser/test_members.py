"""Issue 9 point 4 in Chromium: a misspelt name is fixed in place and the change stays in the
member's history; a namesake is refused until he says it is another person; an ended term shows
as 已离任 without an end-term form; the overview and the council page count alike."""

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
    store = villagedata.store(db)
    await store.add_member(
        Member(
            BodyKind.RESIDENTS_COUNCIL, "周旧", "委员", dt.date(2021, 1, 1), dt.date(2023, 12, 31)
        )
    )
    for name in ("吴晓明", "吴小明"):  # one to fix at each screen size
        await store.add_member(
            Member(BodyKind.RESIDENTS_COUNCIL, name, "委员", dt.date(2024, 1, 1))
        )


@pytest.mark.parametrize(
    "width,height,typo,fixed", [(1366, 768, "吴晓明", "吴晓鸣"), (390, 844, "吴小明", "吴小鸣")]
)
def test_fix_a_name_and_see_the_history(
    page: Page, shots: Path, width: int, height: int, typo: str, fixed: str
) -> None:
    log_in(page, width=width, height=height)
    page.goto("/councils/residents_council")
    row = page.locator("#members tr[data-member]").filter(has_text=typo)
    row.locator('a[data-action="edit-member"]').click()
    expect(page.locator("h1")).to_contain_text(typo)
    page.fill('#member-edit-form input[name="name"]', fixed)
    page.screenshot(path=str(shots / f"member-edit-{width}.png"))
    page.click('#member-edit-form button[type="submit"]')
    saved = page.locator("#members tr.just-saved")
    expect(saved).to_contain_text(fixed)
    expect(saved).to_contain_text("已保存")
    expect(saved).to_be_focused()
    page.screenshot(path=str(shots / f"member-saved-{width}.png"))
    saved.locator('a[data-action="edit-member"]').click()
    history = page.locator(".member-history [data-field='name']")
    expect(history).to_contain_text(typo)
    expect(history).to_contain_text(fixed)
    history.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"member-history-{width}.png"))


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_namesake_ended_terms_and_counts(page: Page, shots: Path, width: int, height: int) -> None:
    log_in(page, width=width, height=height)
    page.goto("/councils/residents_council")
    # The one whose term ended: apart, marked 已离任, no end-term form.
    ended = page.locator("#ended-members tr").filter(has_text="周旧")
    expect(ended.locator("[data-ended]")).to_have_text("已离任")
    expect(ended.locator("form.end-term")).to_have_count(0)
    # Counts agree with the overview.
    heading = page.locator("#members-heading").inner_text()
    serving = page.locator("#members tr[data-member]").count()
    assert f"（{serving} 名）" in heading
    page.goto("/")
    card = page.locator('.body-card[data-body="residents_council"]')
    expect(card).to_contain_text(f"{serving} 名成员")

    # A namesake: refused with the question, added once he says it is another person.
    page.goto("/councils/residents_council")
    form = page.locator("#member-form")
    form.locator('input[name="name"]').fill("陈会长")
    form.locator('input[name="role"]').fill("委员")
    form.locator('button[type="submit"]').click()
    summary = page.locator("#member-form .error-summary")
    expect(summary).to_contain_text("已有一位“陈会长”")
    box = page.locator('#member-form input[name="same_name_ok"]')
    expect(box).to_be_visible()
    page.screenshot(path=str(shots / f"member-namesake-{width}.png"))
    box.check()
    page.locator('#member-form button[type="submit"]').click()
    expect(page.locator("#members tr.just-saved")).to_contain_text("陈会长")
    expect(page.locator("#members tr[data-member]").filter(has_text="陈会长")).to_have_count(
        2 if width > 1000 else 3
    )
