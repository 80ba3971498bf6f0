"""Issue 9 point 10 in Chromium, on the demo village: a worthy's donation to a matter is
recorded from the 乡贤会's page and shown on the matter it supports."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web.helpers import VILLAGE

import sync
from browser.helpers import log_in
from village_app.demo.build import build_demo, load_script

pytestmark = [pytest.mark.browser]


async def base_village(db: sync.Database) -> None:
    script = load_script()
    script["village"] = {**script["village"], "code": VILLAGE}
    await build_demo(db, script)


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_a_donation_to_a_matter(page: Page, shots: Path, width: int, height: int) -> None:
    log_in(page, width=width, height=height)
    page.goto("/councils/worthies_association")
    page.click("#worthies-link")
    form = page.locator("#worthies-form")
    form.locator('input[name="kind"][value="donation"]').check()
    worthy = page.locator("#worthies-names option").first.get_attribute("value")
    assert worthy
    form.locator('input[name="giver"]').fill(worthy)
    form.locator('textarea[name="what"]').fill("捐款用于村道硬化")
    matter = form.locator('select[name="matter"] option').nth(1)
    title = matter.inner_text()
    form.locator('select[name="matter"]').select_option(matter.get_attribute("value") or "")
    form.locator('input[name="amount"]').fill(str(width * 10))
    page.screenshot(path=str(shots / f"worthies-form-{width}.png"))
    form.locator('button[type="submit"]').click()
    saved = page.locator("#entries tr.just-saved")
    expect(saved).to_contain_text(worthy)
    expect(saved).to_contain_text(str(width * 10))
    expect(saved).to_be_focused()
    page.screenshot(path=str(shots / f"worthies-saved-{width}.png"))
    saved.locator("a").click()
    expect(page.locator("h1")).to_have_text(title)
    section = page.locator(".contributions")
    expect(section).to_contain_text(f"{width * 10} 元")
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"worthies-on-matter-{width}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
