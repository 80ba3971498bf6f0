"""Keeping the service lists in county mode, in Chromium (issue 13): a clerk edits an entry of
an organisation's resource list (the form filled, the change in the entry's history), ends
a village's service project and its pairing with a day and a reason; at 1366x768 and on a
390-pixel phone, with screenshots. The county is the one test_county_services provisions
on the peer (village B carries the demo's projects and pairing)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from county.provisioned import County
from playwright.sync_api import Page, expect

from browser.axe import add_axe, violations
from browser.helpers import fits
from browser.test_county_services import _log_in, county, server

pytestmark = [pytest.mark.browser, pytest.mark.peer]

__all__ = ["county", "server"]


def _first_resource_edit(page: Page) -> None:
    page.goto("/services/organisations")
    page.locator("tr[data-org] a").first.click()
    page.locator("#resources .card a[data-action=edit]").first.click()
    expect(page.locator("h1")).to_contain_text("修改服务资源")


def test_a_clerk_edits_a_resource_and_sees_its_history(
    page: Page, county: County, shots: Path
) -> None:
    add_axe(page.context)
    _log_in(page, county, width=1366, height=768)
    _first_resource_edit(page)
    form = page.locator("#resource-form")
    title = form.locator("input[name=title]").input_value()
    assert title  # the form comes filled
    form.locator("input[name=frequency]").fill("每两周一次")
    form.locator("input[name=capacity]").fill("25")
    page.screenshot(path=shots / "county-resource-edit-1366.png", full_page=True)
    form.locator("button[type=submit]").click()
    expect(page.locator("#sent")).to_contain_text("已发往")
    card = page.locator("#resources .card", has_text=title).first
    expect(card).to_contain_text("每两周一次")
    expect(card).to_contain_text("修改过 1 次")
    card.locator("a[data-action=edit]").click()
    history = page.locator("#resource-history")
    expect(history.locator("[data-field=frequency]")).to_contain_text("每两周一次")
    expect(history.locator("[data-field=capacity]")).to_contain_text("25")
    page.screenshot(path=shots / "county-resource-history-1366.png", full_page=True)
    assert violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fits(page)
    page.screenshot(path=shots / "county-resource-edit-390.png", full_page=True)
    assert violations(page) == []


def _village_with_projects(page: Page, county: County) -> None:
    for _ in range(100):  # the mirror of village B, once the app has followed it
        page.goto(f"/services/villages/{county.village_b}")
        if page.locator("#projects tr[data-project] details.end-form").count():
            return
        time.sleep(0.2)
    raise AssertionError("village B's projects never showed")


def test_a_clerk_ends_a_project_and_a_pairing(page: Page, county: County, shots: Path) -> None:
    add_axe(page.context)
    _log_in(page, county, width=1366, height=768)
    _village_with_projects(page, county)
    row = page.locator("#projects tr[data-project]", has=page.locator("details.end-form")).first
    project_id = row.get_attribute("data-project")
    row.locator("summary", has_text="结束这个项目").click()
    row.locator("textarea[name=ended_reason]").fill("服务对象已由县福利院接收")
    page.screenshot(path=shots / "county-project-end-1366.png", full_page=True)
    assert violations(page) == []
    row.locator("button", has_text="确认结束").click()
    ended = page.locator(f"#projects tr[data-project='{project_id}']")
    expect(ended).to_contain_text("已结束")
    expect(ended).to_contain_text("服务对象已由县福利院接收")
    expect(ended.locator("details.end-form")).to_have_count(0)
    pairing = page.locator("[data-pairing][data-active=yes]").first
    pairing_id = pairing.get_attribute("data-pairing")
    pairing.locator("summary", has_text="结束结对").click()
    pairing.locator("textarea[name=ended_reason]").fill("组织改与邻村结对")
    pairing.locator("button", has_text="确认结束").click()
    done = page.locator(f"[data-pairing='{pairing_id}']")
    expect(done).to_have_attribute("data-active", "no")
    expect(done).to_contain_text("组织改与邻村结对")
    page.screenshot(path=shots / "county-project-ended-1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=shots / "county-project-ended-390.png", full_page=True)
    fits(page)
    open_form = page.locator("#projects details.end-form").first
    if open_form.count():
        open_form.locator("summary").click()
        fits(page)
    page.screenshot(path=shots / "county-project-end-390.png", full_page=True)
    assert violations(page) == []
