"""Every form works without JavaScript: the same flow with scripts disabled in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from web.helpers import PASSWORD, PDF, USERNAME

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def plain_page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, base_url=server, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_forms_without_javascript(plain_page: Page, shots: Path, tmp_path: Path) -> None:
    page = plain_page
    sheet = tmp_path / "sheet.pdf"
    sheet.write_bytes(PDF)
    page.goto("/login")
    page.fill('input[name="username"]', USERNAME)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    expect(page.locator("h1")).to_contain_text("村务概览")

    page.goto("/matters/new")
    page.fill('input[name="title"]', "无脚本登记的事项")
    page.click('#matter-form button[type="submit"]')
    expect(page.locator("#current-stage")).to_have_text("党支部会提议")

    # A refused meeting comes back as the stage page with the error beside the field...
    form = page.locator("#stage-form-proposal")
    form.locator('[name="held_at"]').fill("2026-11-02T19:30")
    form.locator('[name="expected"]').fill("7")
    form.locator('[name="present"]').fill("3")
    form.locator('[name="content"]').fill("提议")
    form.locator('button[type="submit"]').click()
    expect(page.locator('#stage-form-proposal .field-error[data-field="present"]')).to_contain_text(
        "未达法定人数"
    )
    page.screenshot(path=shots / "20-no-js-refused.png", full_page=True)

    # ...and, corrected, is saved with its scan; the browser lands on the matter page.
    page.locator('#stage-form-proposal [name="present"]').fill("6")
    page.set_input_files("#stage-form-proposal input[type=file]", str(sheet))
    page.locator('#stage-form-proposal button[type="submit"]').click()
    expect(page.locator("#stage-proposal")).to_have_attribute("data-status", "done")
    expect(page.locator("#stage-proposal .attachments a")).to_have_text("sheet.pdf")

    # The matters filter has a submit button when scripts are off.
    page.goto("/matters")
    page.select_option('#filters select[name="stage"]', "consultation")
    page.click('#filters noscript button, #filters button[type="submit"]')
    expect(page.locator("#results tr[data-matter]")).to_have_count(1)
    page.screenshot(path=shots / "21-no-js-filtered.png", full_page=True)
