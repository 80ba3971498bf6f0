"""Issue 9 point 12, wording and layout, in Chromium at 1366x768 and 390x844: no vote counts
at a proposal or a consultation unless the meeting voted; 应到人数按 only for a villagers'
meeting; limits and ranges stated in the messages, no "非负整数"; publication stages ask for a
photo of the posted notice; 打印公告 as soon as the resolution has passed (printed, posted,
then recorded with the same words); a council's notice signed by the council; no 405 when a
refused add is entered again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from web import villagedata
from web.helpers import PNG

import sync
from browser.helpers import log_in
from village_app.domain import Attendance, Matter, StageRecord, Vote
from village_app.i18n import LOCALE_DIR

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = [(1366, 768), (390, 844)]
#: Major matters whose resolution has passed: one for each screen (the test records its
#: publication).
PASSED = {1366: "修建村东机耕道", 390: "村道太阳能路灯安装"}
RESOLVED = "同意实施，由村集体资金支付。"


async def prepare_village(db: sync.Database) -> None:
    """A major matter whose resolution has passed (its publication comes next), one at its
    proposal, and a council matter made public."""
    store = villagedata.store(db)
    for title in PASSED.values():
        matter = await villagedata.major_matter(db, title)
        for stage, body, day, attendance, vote in (
            ("proposal", "party_branch", 2, Attendance(7, 6), None),
            ("consultation", "two_committees", 5, Attendance(7, 6), None),
            ("review", "party_members", 8, Attendance(40, 35), Vote(30, 3, 2)),
            ("resolution", "representatives", 12, Attendance(30, 25), Vote(20, 3, 2)),
        ):
            record = StageRecord(
                matter=matter.id,
                stage=stage,
                body=body,
                held_at=villagedata.at(day),
                place="村委会议室",
                attendance=attendance,
                vote=vote,
                content=RESOLVED,
            )
            await store.append_stage_record(matter.id, record)
    await villagedata.major_matter(db, "村小学操场翻新")
    council = await store.create_matter(
        Matter(kind="council", title="修订村规民约第五条", body="residents_council", year=2026)
    )
    two = Attendance(2, 2)
    for record in (
        StageRecord(
            council.id,
            "council_proposal",
            "residents_council",
            held_at=villagedata.at(1),
            content="提议修订第五条",
        ),
        StageRecord(
            council.id,
            "deliberation",
            "residents_council",
            held_at=villagedata.at(3),
            attendance=two,
            content="会议纪要",
        ),
        StageRecord(
            council.id,
            "council_vote",
            "residents_council",
            held_at=villagedata.at(5),
            attendance=two,
            vote=Vote(2, 0),
        ),
        StageRecord(
            council.id,
            "council_resolution",
            "residents_council",
            held_at=villagedata.at(5, 20),
            content="决议修订第五条",
        ),
    ):
        await store.append_stage_record(council.id, record)


def _open_matter(page: Page, title: str) -> None:
    page.goto("/matters")
    page.locator("#results a", has_text=title).first.click()
    expect(page.locator("h1")).to_contain_text(title)


@pytest.mark.parametrize("width,height", SCREENS)
def test_vote_counts_only_where_the_body_votes(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    _open_matter(page, "村小学操场翻新")
    form = page.locator("#stage-form-proposal")
    # A proposal decides by discussion: its counts are folded away, the form asks none.
    expect(form.locator('input[name="in_favour"]')).to_be_hidden()
    expect(form.locator('input[name="present"]')).to_be_visible()
    page.screenshot(path=shots / f"wording-proposal-{width}.png", full_page=True)
    # Unless this meeting did vote: then they are there to fill in.
    form.locator("details.optional-vote > summary").click()
    expect(form.locator('input[name="in_favour"]')).to_be_visible()
    # The party members' review votes: its counts are on the form as it opens.
    _open_matter(page, PASSED[width])
    page.goto(page.url.split("#")[0] + "/stages/review")
    expect(page.locator('#stage-form-review input[name="in_favour"]')).to_be_visible()
    assert page.locator("#stage-form-review details.optional-vote").count() == 0


@pytest.mark.parametrize("width,height", SCREENS)
def test_the_basis_only_for_a_villagers_meeting(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    _open_matter(page, PASSED[width])
    page.goto(page.url.split("#")[0] + "/stages/resolution")
    form = page.locator("#stage-form-resolution")
    basis = form.locator('select[name="basis"]')
    form.locator('select[name="body"]').select_option("representatives")
    expect(basis).to_be_hidden()
    form.locator('select[name="body"]').select_option("villagers_meeting")
    expect(basis).to_be_visible()
    page.screenshot(path=shots / f"wording-basis-{width}.png", full_page=True)
    form.locator('select[name="body"]').select_option("representatives")
    expect(basis).to_be_hidden()


@pytest.mark.parametrize("width,height", SCREENS)
def test_messages_state_the_limits(page: Page, width: int, height: int) -> None:
    log_in(page, width=width, height=height)
    page.goto("/matters/new")
    page.fill('input[name="title"]', "修缮村委会屋顶")
    page.fill('input[name="year"]', "1999")
    page.locator('#matter-form button[type="submit"]').click()
    expect(page.locator('.field-error[data-field="year"]')).to_have_text(
        "年度应在 2000 年到 2100 年之间"
    )
    expect(page.locator(".error-summary")).to_be_focused()


def test_no_jargon_in_any_message() -> None:
    """The Chinese of every message (the catalog's msgids): no 非负整数, no bare 年度不正确 or
    内容过长 without its limit."""
    text = (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert "非负整数" not in text
    assert 'msgid "年度不正确"' not in text and 'msgid "内容过长"' not in text


@pytest.mark.parametrize("width,height", SCREENS)
def test_print_the_notice_before_recording_the_publication(
    page: Page, shots: Path, tmp_path: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    title = PASSED[width]
    _open_matter(page, title)
    form = page.locator("#stage-form-resolution_publication")
    # It asks for a photo of the posted notice, not a signed sheet.
    expect(form.locator(".attachments-field label")).to_contain_text("公告张贴照片")
    expect(form).not_to_contain_text("签到表")
    # 打印公告 is there as soon as the resolution has passed, before anything is recorded.
    form.locator('a[data-action="notice-draft"]').click()
    expect(page.locator(".notice-title")).to_have_text(f"关于{title}的决议公告")
    expect(page.locator(".notice-body")).to_have_text(RESOLVED)
    expect(page.locator(".notice-vote")).to_contain_text("赞成 20 票")
    page.fill('#notice-draft input[name="where"]', "村委会门口公开栏")
    page.locator('#notice-draft button[type="submit"]').click()
    expect(page.locator(".notice-where")).to_contain_text("村委会门口公开栏")
    page.screenshot(path=shots / f"wording-notice-draft-{width}.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator("#notice-draft")).to_be_hidden()
    page.emulate_media(media="screen")
    # Posted and photographed: the publication is recorded with the same words.
    page.click("#record-publication")
    recorded = page.locator("#stage-form-resolution_publication")
    expect(recorded.locator('input[name="where"]')).to_have_value("村委会门口公开栏")
    expect(recorded.locator('input[name="what"]')).to_have_value(f"关于{title}的决议公告")
    photo = tmp_path / "公告照片.png"
    photo.write_bytes(PNG)
    recorded.locator("input[type=file]").set_input_files(str(photo))
    recorded.locator('button[type="submit"]').click()
    expect(page.locator("#stage-resolution_publication")).to_have_attribute("data-status", "done")


def test_a_council_notice_is_signed_by_the_council(page: Page, shots: Path) -> None:
    log_in(page)
    _open_matter(page, "修订村规民约第五条")
    form = page.locator("#stage-form-council_publication")
    form.locator('a[data-action="notice-draft"]').click()
    expect(page.locator(".notice-sign")).to_contain_text("清溪村村民议事会")
    expect(page.locator(".notice-sign")).not_to_contain_text("村民委员会")
    page.screenshot(path=shots / "wording-council-notice.png", full_page=True)


@pytest.mark.parametrize("width,height", SCREENS)
def test_entering_a_refused_add_again_is_no_405(
    browser: Browser, server: str, width: int, height: int
) -> None:
    """Without scripts a refused add leaves its POST address in the address bar; entering it
    again (or refreshing into it) comes back to the form's page."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        base_url=server,
        java_script_enabled=False,
    )
    page = context.new_page()
    try:
        log_in(page, width=width, height=height)
        page.goto("/councils/residents_council")
        # 陈会长 serves on it already: a namesake is refused unless he says it is another person.
        page.fill('#member-form input[name="name"]', "陈会长")
        page.locator('#member-form button[type="submit"]').click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert page.url.endswith("/members")
        response = page.goto(page.url)
        assert response is not None and response.status != 405 and response.ok
        expect(page.locator("h1")).to_contain_text("村民议事会")
    finally:
        context.close()
