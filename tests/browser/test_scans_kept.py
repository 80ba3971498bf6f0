"""Issue 9 point 2 in Chromium: scans chosen with a form that is refused are kept (chips he can
remove), not chosen again; a correction starts with the original's scans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from web import villagedata
from web.helpers import PDF, PNG

import sync
from browser.helpers import log_in

pytestmark = [pytest.mark.browser]

SIZES = [(1366, 768), (390, 844)]


async def prepare_village(db: sync.Database) -> None:
    for _ in range(len(SIZES) + 1):  # a matter at its review per run
        await villagedata.through_consultation(db)


def _scans(tmp_path: Path) -> list[str]:
    sheet, photo = tmp_path / "签到表.pdf", tmp_path / "会场照片.png"
    sheet.write_bytes(PDF)
    photo.write_bytes(PNG)
    return [str(sheet), str(photo)]


def _open_review(page: Page, nth: int) -> None:
    page.goto("/matters")
    page.locator("#results a").filter(has_text="机耕道").nth(nth).click()
    expect(page.locator("#stage-form-review")).to_be_visible()


def _refused_with_scans(page: Page, tmp_path: Path) -> None:
    form = page.locator("#stage-form-review")
    form.locator('[name="held_at"]').fill("2026-11-10T19:00")
    form.locator('[name="expected"]').fill("5")
    form.locator('[name="present"]').fill("5")  # no vote counts: refused
    form.locator("input[type=file]").set_input_files(_scans(tmp_path))
    form.locator('button[type="submit"]').click()
    expect(page.locator("#stage-form-review .error-summary")).to_be_visible()


@pytest.mark.parametrize("width,height", SIZES)
def test_scans_survive_a_refused_save(
    page: Page, shots: Path, tmp_path: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    _open_review(page, SIZES.index((width, height)))
    _refused_with_scans(page, tmp_path)
    chips = page.locator("#stage-form-review .chip[data-pending]")
    expect(chips).to_have_count(2)
    expect(chips.first).to_contain_text("签到表.pdf")
    chips.first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"scans-kept-chips-{width}.png"))
    # He removes the photo, fills in the vote and saves without choosing the sheet again.
    page.locator('.chip:has-text("会场照片.png") [data-remove-chip]').click()
    expect(chips).to_have_count(1)
    form = page.locator("#stage-form-review")
    form.locator('[name="in_favour"]').fill("5")
    form.locator('button[type="submit"]').click()
    links = page.locator("#stage-review article.just-saved .attachments a")
    expect(links).to_have_count(1)
    expect(links).to_have_text("签到表.pdf")

    # A correction starts with the original's scan, ticked.
    page.locator('#stage-review a[data-action="correct"]').click()
    carried = page.locator('.chip[data-carry="签到表.pdf"]')
    expect(carried).to_be_visible()
    carried.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"scans-correction-carries-{width}.png"))
    correction = page.locator("form.stage-form")
    correction.locator('[name="reason"]').fill("地点漏填")
    correction.locator('[name="place"]').fill("村委会议室")
    correction.locator('button[type="submit"]').click()
    corrected = page.locator("#stage-review article.just-saved")
    expect(corrected.locator(".correction-note")).to_contain_text("地点漏填")
    expect(corrected.locator(".attachments a")).to_have_text("签到表.pdf")


@pytest.fixture
def plain_page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, base_url=server, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_without_javascript_a_box_to_untick(plain_page: Page, shots: Path, tmp_path: Path) -> None:
    page = plain_page
    log_in(page)
    _open_review(page, len(SIZES))
    _refused_with_scans(page, tmp_path)
    boxes = page.locator("#stage-form-review .chip input[name=pending]")
    expect(boxes).to_have_count(2)
    expect(page.locator(".chips-hint")).to_be_visible()
    page.screenshot(path=str(shots / "scans-kept-no-js.png"))
    boxes.nth(1).uncheck()
    page.locator('#stage-form-review [name="in_favour"]').fill("5")
    page.locator('#stage-form-review button[type="submit"]').click()
    expect(page.locator("article.just-saved .attachments a")).to_have_text("签到表.pdf")
