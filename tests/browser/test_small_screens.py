"""Issue 9 point 13: every page fits a 390 px phone without scrolling sideways (tables become
cards), and still a 1366 px laptop. The pages are found by following the links of the demo
village from the overview, as a secretary would, plus the few no link leads to."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from web.helpers import VILLAGE

import sync
from browser.helpers import log_in
from village_app.demo.build import build_demo, load_script

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Links that are not pages: downloads, files, actions.
_NOT_PAGES = re.compile(r"^/(static/|records/|logout|lang)|\.(xlsx|pub)$")
_ID = re.compile(r"[a-z_]+:\d{12}:[0-9A-Z]{26}")
#: Pages no link leads to (or only in some states of the data).
_EXTRA = ("/search?q=%E6%9C%BA%E8%80%95", "/no-such-page", "/unreadable")


async def base_village(db: sync.Database) -> None:
    """The demo village (every kind of record), under the test village's code."""
    script = load_script()
    script["village"] = {**script["village"], "code": VILLAGE}
    await build_demo(db, script)


def _kind(path: str) -> str:
    """Pages of one kind share a layout: one of each is enough (ids and queries dropped), but
    every matter is visited: each holds other records (and links to their notices, their
    corrections)."""
    path = path.split("?", 1)[0]
    return path if re.fullmatch(r"/matters/[^/]+", path) else _ID.sub("{id}", path)


def _links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc and not _NOT_PAGES.search(parts.path):
            found.append(path)
    return found


def _overflow(page: Page) -> dict[str, object]:
    """How far the document is wider than the screen, and the widest elements that make it."""
    result: dict[str, object] = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const wide = [];
          for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.right > width + 1 && r.width > 0) {
              wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                        (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
                        ' ' + Math.round(r.right));
            }
          }
          return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 6)};
        }"""
    )
    return result


def _walk(page: Page, shots: Path, width: int) -> dict[str, dict[str, object]]:
    seen: set[str] = set()
    queue = deque(["/", *_EXTRA])
    too_wide: dict[str, dict[str, object]] = {}
    while queue:
        path = queue.popleft()
        kind = _kind(path)
        if kind in seen:
            continue
        seen.add(kind)
        page.goto(path)
        found = _overflow(page)
        if int(str(found["scroll"])) > width:
            too_wide[path] = found
        # On a laptop, tables stay tables (cards are for phones only).
        shown = page.eval_on_selector_all(
            "table.phone-cards", "ts => ts.map(t => getComputedStyle(t).display)"
        )
        if width >= 1000 and any(d != "table" for d in shown):
            too_wide[path] = {"tables shown as": shown}
        if width < 500:
            name = re.sub(r"[^A-Za-z0-9]+", "-", _ID.sub("{id}", kind)).strip("-") or "overview"
            if name == "matters-id":  # one screenshot per matter, named by its order
                name = f"matter-{sum(1 for k in seen if _ID.search(k) and k.count('/') == 2)}"
            page.screenshot(path=str(shots / f"fit-{width}-{name}.png"))
        queue.extend(p for p in _links(page) if _kind(p) not in seen)
    assert len(seen) > 20, sorted(seen)  # the walk really went through the app
    return too_wide


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)])
def test_every_page_fits_the_screen(page: Page, shots: Path, width: int, height: int) -> None:
    log_in(page, width=width, height=height)
    assert _walk(page, shots, width) == {}


def test_the_login_page_fits_a_phone(page: Page, shots: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    expect(page.locator('input[name="username"]')).to_be_visible()
    assert _overflow(page)["scroll"] == 390
    page.screenshot(path=str(shots / "fit-390-login.png"))
