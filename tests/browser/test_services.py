"""社会服务 in Chromium, as the village secretary uses it (issue 13): record a need found on a
home visit and propose a service for it, log a service on the county's project, type in a
pile of paper ratings, give a post to a volunteer and log a duty, read the yearly review; at
1366x768 and on a 390-pixel phone, with screenshots in test-output/browser/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web.helpers import VILLAGE
from web.servicedata import county_lists

import sync
from browser.helpers import fits, follow, log_in, menu
from village_app import repo
from village_app.domain.services import Need, NeedPerson, Rating, ServiceLog
from village_app.repo.sealing import SealKey

pytestmark = pytest.mark.browser

PAGES = ("/services", "/services/needs", "/services/resources", "/services/posts")


async def prepare_village(db: sync.Database) -> None:
    """What the county sent (its resource list, a project, a pairing), a need already
    matched, some services and ratings: as a village looks a few months in."""
    lists = await county_lists(db, VILLAGE)
    folder = Path(db.location).parent
    store = repo.VillageStore(
        db, VILLAGE, repo.Actor("secretary"), seal_key=SealKey.load_or_create(folder)
    )
    await store.add_need(
        Need(
            "elderly_alone",
            "独居，需要每月上门量血压",
            date(2026, 2, 10),
            ("medical",),
            "charity",
            visited_by="王党员",
            person=NeedPerson("陈阿婆", "东坡组3号", "13700001111", "左腿不便"),
        )
    )
    for month, people in ((3, 14), (4, 17), (5, 12)):
        await store.add_service_log(
            ServiceLog(
                date(2026, month, 6), "上门测血压、送药", people, 3, 7.5, project_id=lists.project
            )
        )
    for scores in ({"filial": 5, "close": 4}, {"filial": 4}, {"filial": 3, "close": 3}):
        await store.add_rating(Rating(lists.project, scores, date(2026, 5, 6)))


def test_a_secretary_records_a_need_and_proposes_a_service(page: Page, shots: Path) -> None:
    log_in(page)
    menu(page, "#nav-services")
    expect(page.locator("h1")).to_have_text("社会服务")
    expect(page.locator("#fig-people")).to_have_text("43")
    page.screenshot(path=shots / "services-overview-1366.png", full_page=True)
    page.click(".service-tabs >> text=需求清单")
    form = page.locator("#need-form")
    form.locator("input[name=visited_by]").fill("李书记")
    form.locator("select[name=group]").select_option("left_behind_children")
    form.locator("input[name=person_name]").fill("小明")
    form.locator("input[name=address]").fill("西湾组12号")
    form.locator("textarea[name=summary]").fill("父母在外打工，周末没人辅导功课")
    form.locator(".checks-row label", has_text="助学").click()
    form.locator("button[type=submit]").click()
    saved = page.locator("article.need.just-saved")
    expect(saved).to_be_focused()
    expect(saved).to_contain_text("小明")
    expect(saved).to_have_attribute("data-status", "waiting")
    page.screenshot(path=shots / "services-needs-1366.png", full_page=True)
    # Nothing on the list fits a left-behind child: the secretary is told so (no empty list
    # to choose from).
    expect(saved.locator(".no-suggestion")).to_be_visible()
    expect(saved.locator("select[name=resource_id]")).to_have_count(0)
    # The elder's need is matched already; an unmatched one without a fitting service can
    # still be closed, with a reason.
    saved.locator("summary", has_text="关闭这项需求").click()
    saved.locator("input[name=closed_reason]").fill("已随父母去县城上学")
    saved.locator("button", has_text="关闭").click()
    expect(page.locator("article.need.just-saved")).to_have_attribute("data-status", "closed")


def test_a_service_and_a_pile_of_paper_ratings(page: Page, shots: Path) -> None:
    log_in(page)
    page.goto("/services")
    page.locator("#projects a", has_text="上门义诊").click()
    log_form = page.locator("#log-form")
    log_form.locator("input[name=what]").fill("上门测血压、量血糖")
    log_form.locator("input[name=people_served]").fill("16")
    log_form.locator("input[name=volunteers]").fill("3")
    log_form.locator("input[name=volunteer_hours]").fill("7.5")
    log_form.locator("button[type=submit]").click()
    expect(page.locator("#log-table tr.just-saved")).to_contain_text("上门测血压、量血糖")
    # Three sheets from one meeting: the day and the source stay for the next sheet.
    for sheet in ({"filial": "5", "close": "5"}, {"filial": "4"}, {"close": "3"}):
        rating = page.locator("#rating-form")
        rating.locator("select[name=source]").select_option("meeting")
        for heart, score in sheet.items():
            rating.locator(f"fieldset[data-heart={heart}] label", has_text=score).first.click()
        rating.locator("button[type=submit]").click()
        expect(page.locator("#rating-form .saved-note")).to_be_visible()
        expect(page.locator("#rating-form select[name=source]")).to_have_value("meeting")
    expect(page.locator("#ratings > p").first).to_contain_text("共 6 份评议")
    # An empty sheet is refused, and says why.
    page.locator("#rating-form button[type=submit]").click()
    expect(page.locator("#rating-form .error-summary")).to_contain_text("请至少对一项")
    page.screenshot(path=shots / "services-project-1366.png", full_page=True)


def test_a_post_is_claimed_and_a_duty_logged(page: Page, shots: Path) -> None:
    log_in(page)
    page.goto("/services/posts")
    # The post's own card leads to the claim form with the post chosen.
    page.locator(".card", has_text="治安义务巡防员").locator("text=认领这个岗位").click()
    claim = page.locator("#claim-form")
    expect(claim.locator("select[name=post_id] option:checked")).to_have_text("治安义务巡防员")
    claim.locator("input[name=holder]").fill("赵大山")
    claim.locator("select[name=holder_kind]").select_option("volunteer")
    claim.locator("button[type=submit]").click()
    post = page.locator(".card.just-saved")
    expect(post).to_contain_text("赵大山")
    duty = page.locator("#duty-form")
    duty.locator("select[name=post_id]").select_option(label="治安义务巡防员")
    duty.locator("input[name=holder]").fill("赵大山")
    duty.locator("input[name=what]").fill("夜间巡逻两小时")
    duty.locator("input[name=hours]").fill("2")
    duty.locator("button[type=submit]").click()
    expect(page.locator("li.just-saved")).to_contain_text("夜间巡逻两小时")
    page.screenshot(path=shots / "services-posts-1366.png", full_page=True)
    page.goto("/services/review")
    expect(page.locator("#review-people")).not_to_have_text("0")
    page.screenshot(path=shots / "services-review-1366.png", full_page=True)


def test_every_service_page_fits_a_phone(page: Page, shots: Path) -> None:
    log_in(page, width=390, height=844)
    for path in (*PAGES, "/services/review"):
        page.goto(path)
        fits(page)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=shots / f"{name}-390.png", full_page=True)
    page.goto("/services")
    follow(page, page.locator("#projects a", has_text="上门义诊"))
    fits(page)
    page.screenshot(path=shots / "services-project-390.png", full_page=True)
