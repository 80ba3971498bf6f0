"""Issue 9 point 1 in Chromium: after a save the record is shown highlighted, on screen and
focused; after a refused save every error is beside its field and in a summary at the top of the
form, on screen and focused; the save button is disabled with a spinner while the request is in
flight; scans over the limit are refused beside the field before anything is sent. The same
feedback without JavaScript (a full-page post and redirect)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from web import villagedata

import sync
from browser.helpers import log_in

pytestmark = [pytest.mark.browser]

SIZES = [(1366, 768), (390, 844)]


async def prepare_village(db: sync.Database) -> None:
    # One matter at its review (党员大会审议) per run below.
    for _ in range(len(SIZES) + 1):
        await villagedata.through_consultation(db)


def _open_matter(page: Page, nth: int, stage: str = "review") -> None:
    page.goto("/matters")
    page.locator("#results a").filter(has_text="机耕道").nth(nth).click()
    expect(page.locator(f"#stage-form-{stage}")).to_be_visible()


def _focused_on_screen(page: Page, element: Locator) -> None:
    """The element has the focus and its top is within the viewport (not above it, not below
    it). Both come when htmx settles the swap, a moment after the content shows."""
    expect(element).to_be_focused()
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            """e => { const top = e.getBoundingClientRect().top;
                      return top >= 0 && top < window.innerHeight - 40; }""",
            arg=element.element_handle(),
            timeout=5000,
        )
    box = element.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert 0 <= box["y"] < viewport["height"] - 40, (box, viewport)


@pytest.mark.parametrize("width,height", SIZES)
def test_errors_then_save_with_htmx(page: Page, shots: Path, width: int, height: int) -> None:
    log_in(page, width=width, height=height)
    _open_matter(page, SIZES.index((width, height)))
    form = page.locator("#stage-form-review")
    # Three mistakes the browser cannot see: a date in the future, more present than expected,
    # and no vote counts.
    form.locator('[name="held_at"]').fill("2030-01-01T19:00")
    form.locator('[name="expected"]').fill("5")
    form.locator('[name="present"]').fill("7")
    form.locator('[name="content"]').fill("同意提交村民代表会议表决。")
    button = form.locator('button[type="submit"]')
    button.scroll_into_view_if_needed()
    # Watch the button while the request is in flight: disabled, and the form marked busy
    # (the spinner is drawn for .htmx-request).
    button.evaluate(
        """b => { window.__busy = false; new MutationObserver(() => {
             if (b.disabled && b.form.classList.contains('htmx-request')) window.__busy = true;
           }).observe(b, {attributes: true}); }"""
    )
    button.click()
    summary = page.locator("#stage-form-review .error-summary")
    expect(summary).to_be_visible()
    assert page.evaluate("window.__busy") is True
    expect(summary.locator("li")).to_have_count(3)
    expect(summary).to_contain_text("3 处")
    for field in ("held_at", "present", "in_favour"):
        expect(form.locator(f'.field-error[data-field="{field}"]')).to_be_visible()
    _focused_on_screen(page, summary)
    page.screenshot(path=str(shots / f"save-feedback-errors-{width}.png"))

    # Corrected, it is saved: the record is on screen, highlighted and focused; the button
    # of the next stage's form is free again.
    form.locator('[name="held_at"]').fill("2026-11-10T19:00")
    form.locator('[name="present"]').fill("5")
    form.locator('[name="in_favour"]').fill("5")
    form.locator('button[type="submit"]').click()
    saved = page.locator("#stage-review article.just-saved")
    expect(saved).to_be_visible()
    expect(saved.locator(".saved-note")).to_contain_text("已保存")
    expect(saved.locator(".saved-note")).to_contain_text("下一步：“村民会议或村民代表会议决议”")
    _focused_on_screen(page, saved)
    expect(page.locator('#stage-form-resolution button[type="submit"]')).to_be_enabled()
    page.screenshot(path=str(shots / f"save-feedback-saved-{width}.png"))


@pytest.mark.parametrize("width,height", SIZES)
def test_scans_over_the_limit_are_refused_beside_the_field(
    page: Page, shots: Path, width: int, height: int
) -> None:
    log_in(page, width=width, height=height)
    page.goto("/matters")
    page.locator("#results a").filter(has_text="机耕道").first.click()
    field = page.locator("form.stage-form input[type=file]")
    big: FilePayload = {
        "name": "扫描.pdf",
        "mimeType": "application/pdf",
        "buffer": b"%PDF" + b"0" * 11_000_000,
    }
    field.set_input_files(files=[big])
    message = page.locator("form.stage-form .field-error[data-client]")
    expect(message).to_be_visible()
    expect(message).to_contain_text("超过每次 10 MB 的上限")
    assert field.evaluate("e => e.validity.valid") is False  # the form will not be sent
    field.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"save-feedback-too-large-{width}.png"))
    field.set_input_files(files=[])
    expect(message).to_be_hidden()


@pytest.fixture
def plain_page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=server, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_same_feedback_without_javascript(plain_page: Page, shots: Path) -> None:
    page = plain_page
    log_in(page, width=390, height=844)
    _open_matter(page, len(SIZES))
    form = page.locator("#stage-form-review")
    form.locator('[name="held_at"]').fill("2030-01-01T19:00")
    form.locator('[name="expected"]').fill("5")
    form.locator('[name="present"]').fill("7")
    form.locator('button[type="submit"]').click()
    # The stage's own page, the summary at the top of its form, focused (autofocus).
    summary = page.locator("#stage-form-review .error-summary")
    expect(summary.locator("li")).to_have_count(3)
    _focused_on_screen(page, summary)
    page.screenshot(path=str(shots / "save-feedback-errors-no-js-390.png"))
    form = page.locator("#stage-form-review")
    form.locator('[name="held_at"]').fill("2026-11-10T19:00")
    form.locator('[name="present"]').fill("5")
    form.locator('[name="in_favour"]').fill("5")
    form.locator('button[type="submit"]').click()
    saved = page.locator("article.just-saved")
    expect(saved).to_contain_text("已保存")
    assert "#record-" in page.url
    _focused_on_screen(page, saved)
    page.screenshot(path=str(shots / "save-feedback-saved-no-js-390.png"))
