"""What the browser tests share: signing in as the test village's secretary."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect
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


def fits(page: Page) -> None:
    """Nothing on the page is wider than the screen: no scrolling sideways. Names the widest
    offenders when it fails."""
    page.wait_for_load_state()
    overflow, wide = page.evaluate(
        """() => {
          const root = document.documentElement;
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
            .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
          return [root.scrollWidth - root.clientWidth, wide];
        }"""
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen: {wide}"


def follow(page: Page, link: Locator) -> None:
    """Click a link and wait for the page it leads to. Measured before it came, the old page may
    be half gone ("Cannot read properties of null (reading 'scrollWidth')")."""
    with page.expect_navigation():
        link.click()
