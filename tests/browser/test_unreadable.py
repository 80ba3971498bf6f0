"""Documents that arrived malformed, as the secretary sees them: the overview warns and links
to 无法读取的记录, which lists them and fits a laptop and a phone screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web import villagedata

import sync
from browser.helpers import log_in

pytestmark = [pytest.mark.browser]


async def prepare_village(db: sync.Database) -> None:
    """One matter whose newest revision (as replication writes it) has a number for a title."""
    matter = await villagedata.major_matter(db)
    doc = await db.get(matter.id, revs=True)
    revisions = doc.pop("_revisions")
    start = revisions["start"] + 1
    broken = {
        **doc,
        "title": 12345,
        "_rev": f"{start}-{'b' * 32}",
        "_revisions": {"start": start, "ids": ["b" * 32, *revisions["ids"]]},
    }
    await db.bulk_docs([broken], new_edits=False)


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_the_overview_warns_and_the_list_fits_the_screen(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    warning = page.locator("#unreadable-warning")
    expect(warning).to_contain_text("1 条同步来的记录格式不正确")
    warning.locator("a").click()
    expect(page.locator("h1")).to_have_text("无法读取的记录")
    row = page.locator("#unreadable-list tr[data-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("title: expected text, got int")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(shots / f"unreadable-{width}.png"), full_page=True)
    assert overflow <= 0
