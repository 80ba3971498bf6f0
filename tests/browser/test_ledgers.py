"""台账 as the secretary prints it: from the matters list to the printable meeting records,
at 1366x768, with the rows on the page and the table on landscape A4."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web import villagedata
from web.helpers import PASSWORD, USERNAME

import sync
from village_app.domain import Attendance, StageRecord, Vote

pytestmark = [pytest.mark.browser]


async def prepare_village(db: sync.Database) -> None:
    matter = await villagedata.through_consultation(db)
    review = StageRecord(
        matter.id,
        "review",
        held_at=villagedata.at(9),
        place="村部",
        attendance=Attendance(30, 24),
        vote=Vote(20, 2, 2),
    )
    await villagedata.store(db).append_stage_record(matter.id, review)


def test_the_printable_ledger_has_the_rows(page: Page, shots: Path) -> None:
    page.goto("/login")
    page.fill('input[name="username"]', USERNAME)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    page.goto("/matters")
    page.click('#ledger-links a[data-ledger="meetings-print"]')
    expect(page.locator("h1")).to_have_text("清溪村会议记录台账")
    rows = page.locator("#ledger tbody tr[data-row]")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("党员大会审议")
    expect(rows.nth(2)).to_contain_text("表决通过")
    page.screenshot(path=str(shots / "ledger-meetings-1366.png"), full_page=True)
    # The page scrolls no wider than the screen: a wide table scrolls inside its sheet.
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    page.goto("/ledgers/matters/print")
    expect(page.locator("#ledger tbody tr[data-row]")).to_have_count(1)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 841" in pdf  # landscape A4
    Path(shots / "ledger-matters.pdf").write_bytes(pdf)
