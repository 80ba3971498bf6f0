"""Correcting a service entry and a duty, and printing the yearly review, in Chromium
(issue 13): the secretary opens 更正 on an entry, finds the form filled, is asked why, and
sees the old entry struck through; the same for a post's duty; the review prints on A4 with
its figures; at 1366x768 and on a 390-pixel phone, screenshots in test-output/browser/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web.helpers import VILLAGE
from web.servicedata import county_lists

import sync
from browser.axe import add_axe, violations
from browser.helpers import fits, follow, log_in
from village_app import repo
from village_app.domain.services import Claim, DutyLog, Rating, ServiceLog

pytestmark = pytest.mark.browser

PATROL = f"service_post:{VILLAGE}:patrol"


async def prepare_village(db: sync.Database) -> None:
    """A project with two services and ratings, a pairing's activity, a patrol post held with
    a duty: what there is to correct."""
    lists = await county_lists(db, VILLAGE)
    store = repo.VillageStore(db, VILLAGE, repo.Actor("secretary"))
    for month, people in ((4, 20), (5, 12)):
        await store.add_service_log(
            ServiceLog(date(2026, month, 6), "上门测血压、送药", people, 3, 6.0, lists.project)
        )
    await store.add_service_log(
        ServiceLog(date(2026, 6, 1), "普法讲座", 40, 2, 4.0, pairing_id=lists.pairing)
    )
    for scores in ({"filial": 5, "close": 4}, {"filial": 4}):
        await store.add_rating(Rating(lists.project, scores, date(2026, 5, 6)))
    await store.claim_post(Claim(PATROL, "赵大山", "party_member", date(2026, 1, 1)))
    await store.add_duty_log(DutyLog(PATROL, "赵大山", date(2026, 3, 1), "夜间巡逻", 2.0))


def test_a_service_entry_is_corrected(page: Page, shots: Path) -> None:
    add_axe(page.context)
    log_in(page)
    page.goto("/services")
    page.locator("#projects a", has_text="上门义诊").click()
    people = page.locator("#fig-people, #logs-heading")
    expect(people.first).to_contain_text("32 人次")
    row = page.locator("#log-table tr", has_text="2026年4月6日")
    row.locator("a[data-action=correct]").click()
    expect(page.locator("h1")).to_have_text("更正服务记录")
    form = page.locator("#correct-form")
    expect(form.locator("input[name=people_served]")).to_have_value("20")
    page.screenshot(path=shots / "services-correct-1366.png", full_page=True)
    assert violations(page) == []
    # No reason: the form is not sent (the server refuses it too: tests/web), nothing lost.
    form.locator("input[name=people_served]").fill("18")
    form.locator("button[type=submit]").click()
    expect(form.locator("textarea[name=reason]:invalid")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("更正服务记录")
    expect(form.locator("input[name=people_served]")).to_have_value("18")
    page.locator("#correct-form textarea[name=reason]").fill("签到表上重复记了两位老人")
    page.locator("#correct-form button[type=submit]").click()
    saved = page.locator("#log-table tr.just-saved")
    expect(saved).to_be_focused()
    expect(saved).to_contain_text("签到表上重复记了两位老人")
    old = page.locator("#log-table tr.superseded")
    expect(old).to_contain_text("已被更正")
    expect(old.locator("a[data-action=correct]")).to_have_count(0)
    expect(page.locator("#logs-heading")).to_contain_text("30 人次")
    page.screenshot(path=shots / "services-corrected-1366.png", full_page=True)
    assert violations(page) == []


def test_a_pairing_activity_and_a_duty_are_corrected(page: Page, shots: Path) -> None:
    log_in(page)
    page.goto("/services")
    card = page.locator("[data-pairing]")
    card.locator("a[data-action=correct]").click()
    page.locator("#correct-form input[name=people_served]").fill("35")
    page.locator("#correct-form textarea[name=reason]").fill("签到表实为35人")
    page.locator("#correct-form button[type=submit]").click()
    card = page.locator("[data-pairing].just-saved")
    expect(card).to_contain_text("35 人次")
    expect(card.locator("li.superseded")).to_contain_text("已被更正")
    page.goto("/services/posts")
    duty = page.locator(".card", has_text="治安义务巡防员").locator("ul.duties li")
    duty.locator("a[data-action=correct]").click()
    expect(page.locator("h1")).to_have_text("更正履职记录")
    expect(page.locator("#correct-form input[name=holder]")).to_have_value("赵大山")
    page.locator("#correct-form input[name=hours]").fill("3")
    page.locator("#correct-form textarea[name=reason]").fill("实际巡逻三小时")
    page.locator("#correct-form button[type=submit]").click()
    saved = page.locator("li.just-saved")
    expect(saved).to_contain_text("实际巡逻三小时")
    expect(page.locator(".card", has_text="治安义务巡防员")).to_contain_text("共 3.0 小时")
    page.screenshot(path=shots / "services-duty-corrected-1366.png", full_page=True)


def test_the_yearly_review_prints(page: Page, shots: Path) -> None:
    add_axe(page.context)
    log_in(page)
    page.goto("/services/review?year=2026")
    page.locator("#review-print").click()
    expect(page.locator(".ledger-title")).to_contain_text("2026 年度社会服务评议表")
    sheets = page.locator("section.ledger-part")
    expect(sheets).to_have_count(2)
    expect(sheets.first.locator("tr[data-row]").first).to_contain_text("上门义诊")
    page.screenshot(path=shots / "services-review-print-1366.png", full_page=True)
    assert violations(page) == []
    page.emulate_media(media="print")
    expect(page.locator("p.no-print")).to_be_hidden()
    page.pdf(path=str(shots / "services-review-print.pdf"), format="A4", landscape=True)
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.locator("#ledger-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_the_new_pages_fit_a_phone(page: Page, shots: Path) -> None:
    log_in(page, width=390, height=844)
    page.goto("/services")
    follow(page, page.locator("#projects a", has_text="上门义诊"))
    fits(page)
    page.screenshot(path=shots / "services-project-corrections-390.png", full_page=True)
    follow(page, page.locator("#log-table a[data-action=correct]").first)
    fits(page)
    page.screenshot(path=shots / "services-correct-390.png", full_page=True)
    page.goto("/services/posts")
    fits(page)
    follow(page, page.locator("ul.duties a[data-action=correct]").first)
    fits(page)
    page.screenshot(path=shots / "services-duty-correct-390.png", full_page=True)
    page.goto("/services/review?year=2026")
    fits(page)
    page.screenshot(path=shots / "services-review-390.png", full_page=True)
    page.goto("/ledgers/services/print?year=2026")
    page.screenshot(path=shots / "services-review-print-390.png", full_page=True)
