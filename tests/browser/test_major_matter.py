"""A secretary's day in headless Chromium: a major matter through all six stages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web.helpers import PASSWORD, PDF, PNG, USERNAME

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _log_in(page: Page) -> None:
    page.goto("/")
    page.wait_for_url("**/login?next=*")
    page.fill('input[name="username"]', USERNAME)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    expect(page.locator("h1")).to_contain_text("村务概览")


def _fill(page: Page, stage: str, values: dict[str, str]) -> None:
    form = page.locator(f"#stage-form-{stage}")
    for name, value in values.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def _submit(page: Page, stage: str) -> None:
    page.locator(f'#stage-form-{stage} button[type="submit"]').click()


def _meeting(day: int, expected: int, present: int, **more: str) -> dict[str, str]:
    return {
        "held_at": f"2026-11-{day:02d}T19:30",
        "place": "村委会议室",
        "expected": str(expected),
        "present": str(present),
        **more,
    }


def test_major_matter_through_six_stages(page: Page, shots: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "签到表.pdf"
    sheet.write_bytes(PDF)
    photo = tmp_path / "会议照片.png"
    photo.write_bytes(PNG)

    _log_in(page)
    page.screenshot(path=shots / "01-overview.png", full_page=True)

    # A new major matter.
    page.click("text=新建事项")
    page.fill('input[name="title"]', "修建村东机耕道")
    page.fill('textarea[name="summary"]', "硬化村东机耕道 1.2 公里，宽 4 米。")
    page.fill('input[name="category"]', "道路")
    page.screenshot(path=shots / "02-new-matter.png", full_page=True)
    page.click('#matter-form button[type="submit"]')
    expect(page.locator("#current-stage")).to_have_text("党支部会提议")

    # 1. Proposal, with the scanned signed sheet, added in place (htmx).
    _fill(page, "proposal", {**_meeting(2, 7, 6), "content": "提议硬化村东机耕道。"})
    page.set_input_files("#stage-form-proposal input[type=file]", [str(sheet), str(photo)])
    page.screenshot(path=shots / "03-proposal-form.png", full_page=True)
    _submit(page, "proposal")
    expect(page.locator("#stage-proposal")).to_have_attribute("data-status", "done")
    expect(page.locator("#stage-proposal .attachments a")).to_have_count(2)

    # 2. Consultation of the two committees.
    _fill(page, "consultation", {**_meeting(5, 9, 8), "content": "两委一致同意提交党员大会审议。"})
    _submit(page, "consultation")
    expect(page.locator("#stage-consultation")).to_have_attribute("data-status", "done")

    # 3. Party members' review with a vote; the live result shows while typing.
    _fill(
        page, "review", {**_meeting(10, 40, 35), "in_favour": "30", "against": "3", "abstain": "2"}
    )
    expect(page.locator('#live-review [data-live="outcome"]')).to_have_attribute(
        "data-passed", "yes"
    )
    _submit(page, "review")
    expect(page.locator("#stage-review")).to_have_attribute("data-status", "done")

    # 4. Representatives' meeting: 20 of 30 present is refused as not quorate...
    _fill(
        page,
        "resolution",
        {
            "body": "representatives",
            **_meeting(15, 30, 20),
            "in_favour": "18",
            "content": "同意硬化村东机耕道，由村集体资金支付。",
        },
    )
    live = page.locator('#live-resolution [data-live="outcome"]')
    expect(live).to_have_attribute("data-quorate", "no")
    expect(live).to_contain_text("至少需21人")
    page.screenshot(path=shots / "04-representatives-20-of-30-live.png", full_page=True)
    _submit(page, "resolution")
    refusal = page.locator('#stage-form-resolution .field-error[data-field="present"]')
    expect(refusal).to_have_text("实到20人，未达法定人数（应到30人，至少需21人）")
    expect(page.locator("#stage-resolution")).to_have_attribute("data-status", "next")
    page.screenshot(path=shots / "05-representatives-20-refused.png", full_page=True)

    # ...with 21 present it counts.
    _fill(page, "resolution", {"present": "21", "against": "2", "abstain": "1"})
    expect(live).to_have_attribute("data-quorate", "yes")
    page.set_input_files("#stage-form-resolution input[type=file]", str(sheet))
    _submit(page, "resolution")
    expect(page.locator("#stage-resolution")).to_have_attribute("data-status", "done")
    expect(page.locator('#stage-resolution [data-quorate="yes"]')).to_contain_text("表决通过")
    page.screenshot(path=shots / "06-representatives-21-counts.png", full_page=True)

    # 5. Publication of the resolution, then its printable notice.
    _fill(
        page,
        "resolution_publication",
        {
            "what": "关于修建村东机耕道的决议公告",
            "where": "村务公开栏",
            "published_at": "2026-11-16T09:00",
            "content": "经村民代表会议表决通过，现将决议公开如下：硬化村东机耕道。",
        },
    )
    _submit(page, "resolution_publication")
    expect(page.locator("#stage-resolution_publication")).to_have_attribute("data-status", "done")
    matter_url = page.url
    page.click('#stage-resolution_publication a[data-action="notice"]')
    expect(page.locator(".notice-title")).to_have_text("关于修建村东机耕道的决议公告")
    expect(page.locator(".notice-vote")).to_contain_text("赞成 18 票")
    page.screenshot(path=shots / "07-notice.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    page.screenshot(path=shots / "08-notice-print.png", full_page=True)
    page.pdf(path=shots / "notice.pdf", format="A4", print_background=True)
    page.emulate_media(media="screen")
    assert (shots / "notice.pdf").read_bytes().startswith(b"%PDF")
    page.goto(matter_url)

    # 6. Publication of the result: the procedure is complete.
    _fill(
        page,
        "result_publication",
        {
            "what": "村东机耕道实施结果公告",
            "where": "村务公开栏",
            "published_at": "2026-11-25T09:00",
            "content": "机耕道已完工并通过验收。",
        },
    )
    _submit(page, "result_publication")
    expect(page.locator("#completed")).to_have_text("四议两公开程序已全部完成。")
    expect(page.locator("#current-stage")).to_have_text("已完成")
    page.screenshot(path=shots / "09-completed.png", full_page=True)

    # The scanned sheet is served back as stored.
    href = page.locator("#stage-proposal .attachments a").first.get_attribute("href")
    assert href is not None
    served = page.request.get(href)
    assert served.ok and served.body() in (PDF, PNG)


def test_matters_filter_without_reload_and_language_switch(page: Page, shots: Path) -> None:
    _log_in(page)
    page.goto("/matters")
    page.evaluate("window.__marker = 'same page'")
    page.select_option('#filters select[name="stage"]', "completed")
    page.wait_for_url("**/matters?*stage=completed*")
    assert page.evaluate("window.__marker") == "same page"  # filtered by htmx, no reload
    expect(page.locator("#results tr[data-matter]")).to_have_count(1)
    page.screenshot(path=shots / "10-matters-filtered.png", full_page=True)

    page.click('.lang-switch button[data-lang="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Matters")
    expect(page.locator("#results tr[data-matter] .badge.done")).to_have_text("Completed")
    assert "stage=completed" in page.url  # the switch came back to the filtered list
    page.screenshot(path=shots / "11-english.png", full_page=True)
    page.click('.lang-switch button[data-lang="zh_CN"]')
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("事项")
    page.screenshot(path=shots / "12-back-to-chinese.png", full_page=True)


def test_a_server_error_is_told_in_the_page_language(page: Page) -> None:
    """static/app.js has no words of its own: the flash bar takes the page's (data-server-error)."""
    _log_in(page)
    page.goto("/matters")
    for lang, words in (
        ("zh_CN", "系统出错（500），记录未被修改"),
        ("en", "Something went wrong (500). Nothing was changed"),
    ):
        if lang == "en":
            page.click('.lang-switch button[data-lang="en"]')
            expect(page.locator("html")).to_have_attribute("lang", "en")
        page.route("**/matters?*", lambda route: route.fulfill(status=500, body="down"))
        page.select_option('#filters select[name="stage"]', "completed")
        expect(page.locator("#flash")).to_be_visible()
        expect(page.locator("#flash")).to_contain_text(words)
        page.unroute("**/matters?*")
