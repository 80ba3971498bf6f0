"""What the browser tests share: signing in as the test village's secretary."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from web.helpers import PASSWORD, USERNAME


def menu(page: Page, link: str) -> None:
    """Follow the menu's ``link`` (a selector), opening 更多 first when it is in there."""
    target = page.locator(f".main-nav {link}")
    if not target.is_visible():
        page.click("#nav-more > summary")
    target.click()


def log_in(page: Page, *, width: int = 1366, height: int = 768) -> None:
    """Sign in through the login form on a screen of ``width`` x ``height``; ends on the overview."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login")
    page.fill('input[name="username"]', USERNAME)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    expect(page.locator("h1")).to_contain_text("村务概览")
