"""Issue 9 point 9 in Chromium, on the demo village: the rules have a page each, the secretary
adds a new version of the 村规民约 and changes a council's quorum; the old ones stay readable."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web.helpers import VILLAGE

import sync
from browser.helpers import log_in, menu
from village_app.demo.build import build_demo, load_script

pytestmark = [pytest.mark.browser]


async def base_village(db: sync.Database) -> None:
    script = load_script()
    script["village"] = {**script["village"], "code": VILLAGE}
    await build_demo(db, script)


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_rules_read_and_revised(page: Page, shots: Path, width: int, height: int) -> None:
    log_in(page, width=width, height=height)
    menu(page, "#nav-rules")
    expect(page.locator("h1")).to_have_text("村规民约与章程")
    expect(page.locator("#rules-village h3")).to_contain_text("杏林村村规民约")
    page.screenshot(path=str(shots / f"rules-{width}.png"))

    # A new version of the 村规民约.
    page.click('#rules-village [data-action="edit-rule"]')
    page.fill('#rule-form input[name="title"]', f"杏林村村规民约（{width}修订）")
    text = page.locator('#rule-form textarea[name="text"]')
    text.fill(text.input_value() + "\n新增：禁止焚烧秸秆。")
    page.click('#rule-form button[type="submit"]')
    section = page.locator("#rules-village.just-saved")
    expect(section.locator("h3")).to_have_text(f"杏林村村规民约（{width}修订）")
    expect(section.locator(".saved-note")).to_contain_text("已保存")
    section.locator("details.rule-history summary").click()
    expect(section.locator(".rule-version").last).to_contain_text("杏林村村规民约")
    page.screenshot(path=str(shots / f"rules-saved-{width}.png"))

    # The 道德评议会's quorum, from its charter page.
    page.goto("/councils/moral_review_council")
    page.click("#charter-link")
    page.click('[data-action="edit-charter"]')
    page.select_option('#charter-form select[name="quorum"]', "at_least_two_thirds")
    page.screenshot(path=str(shots / f"charter-edit-{width}.png"))
    page.click('#charter-form button[type="submit"]')
    expect(page.locator("#charter.just-saved #rule-text")).to_contain_text("不少于三分之二")
    expect(page.locator(".charter-history [data-version]").first).to_contain_text("超过半数")
    page.screenshot(path=str(shots / f"charter-saved-{width}.png"))
