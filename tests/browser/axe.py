"""axe-core (vendored, tests/browser/vendor/axe.min.js) run in a page: the serious and critical
violations it finds, in a form an assertion can print.

axe is added as an init script (the DevTools protocol's, which the pages' Content Security
Policy does not apply to), so every page the context loads has it without a <script> of ours.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices (landmarks, one h1, ...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SERIOUS = ("serious", "critical")


def add_axe(context: BrowserContext) -> None:
    context.add_init_script(path=str(AXE))


def violations(page: Page) -> list[str]:
    """Every serious or critical violation on the page as it is now, one line per element:
    rule, impact, the element's selector and axe's summary of what fails."""
    result: dict[str, Any] = page.evaluate(
        """async tags => {
          const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                             resultTypes: ['violations']});
          return {violations: r.violations.map(v => ({
            id: v.id, impact: v.impact,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                      impact: n.impact}))}))};
        }""",
        TAGS,
    )
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            impact = node["impact"] or violation["impact"]
            if impact in SERIOUS:
                summary = " ".join(str(node["summary"]).split())[:300]
                found.append(f"{violation['id']} ({impact}) {node['target']}: {summary}")
    return found


def check_pages(
    page: Page,
    start: list[str],
    links: Callable[[Page], list[str]],
    kind: Callable[[str], str],
) -> tuple[set[str], dict[str, list[str]]]:
    """Visit ``start`` and every page their links lead to (one page of each ``kind``), run axe
    on each as it loads; the kinds seen, and each page's serious violations."""
    seen: set[str] = set()
    queue = deque(start)
    found: dict[str, list[str]] = {}
    while queue:
        path = queue.popleft()
        if kind(path) in seen:
            continue
        seen.add(kind(path))
        page.goto(path)
        if problems := violations(page):
            found[path] = problems
        queue.extend(p for p in links(page) if kind(p) not in seen)
    return seen, found


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{path}\n  " + "\n  ".join(lines) for path, lines in found.items())
