"""Every page of the field app in English has no Chinese left but the village's own data
(issue 9 point 14).

The demo village is loaded and the secretary, with the language switch set to English (the
``lang`` cookie that ``POST /lang`` sets), crawls every page reachable by a link from the
overview, plus the pages no link leads to: each error page, and each form answered with its
errors. Every GET route of the app must have been seen, or be listed in :data:`NOT_PAGES`
with the reason; a new page is then crawled without anyone adding it here.

What may stay Chinese is what the village wrote: names, titles, texts. The test reads every
document of the village's database and removes from each page, longest first, every string
value of the fields in :data:`DATA_FIELDS` (free text a secretary typed or the demo made up
as if she had) before it looks for a CJK character or full-width punctuation in what is left.
Fields holding one of the app's own words (a meeting form, a rule's kind, a default role) are
*not* data: they must be shown in the reader's language, so they are not removed. The
language switch's "中文" is the name of a language in itself, and removed too.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urldefrag, urlsplit

import pytest
from bs4 import BeautifulSoup
from starlette.routing import Match
from starlette.testclient import TestClient

import sync
from village_app.demo import load_demo
from village_app.domain.organisation import ROLE_WORDS
from village_app.repo.docs.services import need_from_doc
from village_app.repo.sealing import SealKey
from village_app.web import Settings, create_app
from village_app.web.security.permissions import GuardedRoute
from web.helpers import attr, csrf_of, log_in, soup

#: Han characters, CJK symbols and punctuation (、。「」), full-width forms (，：（）！).
CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
#: (document type, field path) whose string values are the village's data. ``[]`` is any
#: item of a list.
DATA_FIELDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("village", "name"),
        ("village", "township"),
        ("village", "county"),
        ("body", "name_zh"),
        ("body", "charter"),
        ("body", "rule.source_zh"),
        ("member", "name"),
        ("member", "person"),
        ("member", "role"),  # free text; the app's own role words are kept (see below)
        ("member_private", "close_relatives[]"),
        ("matter", "title"),
        ("matter", "summary"),
        ("matter", "category"),
        ("stage_record", "subject"),
        ("stage_record", "content"),
        ("stage_record", "place"),
        ("stage_record", "reason"),
        ("stage_record", "attendance.names[]"),
        ("stage_record", "township_staff[]"),
        ("stage_record", "publication.what"),
        ("stage_record", "publication.where"),
        ("stage_record", "rule.source_zh"),
        ("stage_record", "vote.names.in_favour[]"),
        ("stage_record", "vote.names.against[]"),
        ("stage_record", "vote.names.abstain[]"),
        ("supervision", "finding"),
        ("supervision", "follow_up"),
        ("supervision", "recorded_by"),
        ("ceremony", "family"),
        ("ceremony", "note"),
        ("ceremony", "registered_by"),
        ("village_rule", "title"),
        ("village_rule", "text"),
        # The service lists (issue 13): what the county and the village typed.
        *(
            (doc_type, field)
            for doc_type in ("service_resource", "service_project", "service_pairing")
            for field in ("organisation.name", "organisation.sector")
        ),
        ("service_resource", "title"),
        ("service_resource", "place"),
        ("service_resource", "frequency"),
        ("service_resource", "description"),
        ("service_project", "title"),
        ("service_project", "schedule"),
        ("service_project", "note"),
        ("service_pairing", "schedule"),
        ("service_pairing", "content"),
        ("service_need", "summary"),
        ("service_need", "visited_by"),
        ("service_need", "closed_reason"),
        ("service_log", "what"),
        ("service_log", "place"),
        ("service_log", "reason"),
        ("service_post", "name"),
        ("service_post", "duties"),
        ("post_claim", "holder"),
        ("duty_log", "holder"),
        ("duty_log", "what"),
    }
)
#: GET routes that are no HTML page, with why.
NOT_PAGES: dict[str, str] = {
    "health": "plain text for monitoring",
    "attachment": "a scan, served as its own type",
    "meeting_check": "the live quorum check's fragment, asked for by the stage form's script",
    "stage_roster": "the roster part of a stage form, asked for when another body or day is chosen",
    "login": "signed out: test_the_login_page_in_english_has_no_chinese",
    "sync_progress": "the block of a sync under way, polled by the 同步 page (test_sync_page)",
    **{
        f"{name}_back": "a GET of a form's address, sent back to the form's page"
        for name in (
            "member_add",
            "member_end_term",
            "supervision_follow_up",
            "attachment_add",
            "service_log",
            "service_rating",
            "pairing_log",
            "service_need_propose",
            "service_need_close",
            "post_claim",
            "post_claim_end",
            "duty_log",
        )
    },
    **{
        f"ledger_{name}_xlsx": "a workbook download"
        for name in ("matters", "meetings", "supervision", "ceremonies")
    },
}
#: At most this many URLs of one route are crawled: more than the demo has of any (20
#: matters, 74 stage records), so every one of them is.
PER_ROUTE = 100
MISSING = ("nonexistent", "matter:330102001001:nonexistent")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, f"{path}[]")
    elif isinstance(value, str):
        yield path, value


async def _data_values(path: Path) -> list[str]:
    db = await sync.open_database(str(path), create=False)
    try:
        rows = (await db.all_docs(include_docs=True))["rows"]
    finally:
        await db.close()
    values: set[str] = set()
    key = SealKey.load(path.parent)
    for row in rows:
        doc = row.get("doc") or {}
        values.update(doc.get("_attachments") or {})  # the scans' file names, as uploaded
        for field, value in _strings(doc, ""):
            if (doc.get("type"), field) not in DATA_FIELDS:
                continue
            if field == "role" and value in ROLE_WORDS:
                continue  # the app's own word: shown translated
            values.add(value)
        if doc.get("type") == "service_need" and key is not None:
            # The person a need names is sealed in the document and shown opened.
            person = need_from_doc(doc, key).person
            values.update(vars(person).values() if person else ())
    return sorted((v for v in values if CJK.search(v)), key=len, reverse=True)


def _branch(doc: dict[str, Any], mark: str, **changes: Any) -> dict[str, Any]:
    """A revision of ``doc`` made on another laptop, as replication brings it."""
    generation, parent = doc["_rev"].split("-")
    return {
        **doc,
        **changes,
        "_rev": f"{int(generation) + 1}-{mark * 32}",
        "_revisions": {"start": int(generation) + 1, "ids": [mark * 32, parent]},
    }


async def _troubles(path: Path) -> str:
    """What the demo lacks and some pages show: versions in conflict (a matter, a seat) and
    an unreadable document. The changes are numbers and dates, so no new text. Returns the
    title of a matter, to search for."""
    db = await sync.open_database(str(path), create=False)
    try:
        matters = await db.find({"type": "matter"}, limit=1)
        members = await db.find({"type": "member", "body": "residents_council"}, limit=1)
        [matter], [member] = matters["docs"], members["docs"]
        await db.bulk_docs(
            [
                _branch(matter, "a", year=matter["year"] - 1),
                _branch(matter, "b"),
                _branch(member, "c", term_end="2029-12-31"),
                _branch(member, "d"),
                {
                    "_id": f"matter:{path.stem}:unreadable",
                    "_rev": "1-" + "e" * 32,
                    "type": "matter",
                    "village": path.stem,
                    "title": "a matter from a broken client",
                    "created_at": 5,
                },
            ],
            new_edits=False,
        )
        return str(matter["title"])
    finally:
        await db.close()


@dataclass(frozen=True)
class Demo:
    client: TestClient
    #: The village's data values (see the module's docstring), longest first.
    data: list[str]
    #: Pages no link leads to from the overview.
    seeds: tuple[str, ...]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("english")
    result = asyncio.run(load_demo(data_dir))
    title = asyncio.run(_troubles(result.path))
    data = asyncio.run(_data_values(result.path))
    with TestClient(create_app(Settings(data_dir=data_dir)), base_url="http://testserver") as c:
        assert log_in(c, result.username, result.password).status_code == 303
        c.cookies.set("lang", "en")
        seeds = ("/", f"/search?q={quote(title)}", "/search", "/unreadable")
        yield Demo(c, data, seeds)


#: Attributes a reader sees or hears (an ``<option>``'s or hidden field's ``value`` is a code
#: sent back to the app, never shown).
_SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "label", "data-server-error")


def _leftovers(html: str, data: list[str]) -> list[str]:
    """What Chinese is left on a page once the village's data and the language switch are
    taken out: each leftover with a little of its context. The page is read as its text and
    its attributes' values (titles, placeholders, labels for screen readers), unescaped."""
    page = BeautifulSoup(html, "html.parser")
    for switch in page.select(".lang-switch"):
        switch.decompose()
    pieces = [str(s) for s in page.find_all(string=True)]
    for tag in page.find_all(True):
        for name in _SHOWN_ATTRIBUTES:
            if isinstance(value := tag.get(name), str):
                pieces.append(value)
        if tag.name == "input" and tag.get("type") not in ("hidden", "checkbox", "radio"):
            pieces.append(str(tag.get("value", "")))
    text = "\n".join(pieces)
    for value in data:
        text = text.replace(value, "")
    return sorted({text[max(0, m.start() - 30) : m.end() + 30] for m in CJK.finditer(text)})


def _route_name(client: TestClient, path: str) -> str | None:
    scope = {"type": "http", "path": path, "method": "GET"}
    for route in client.app.routes:  # type: ignore[attr-defined]
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return getattr(route, "name", None)
    return None


def _links(html: str) -> Iterator[str]:
    for a in BeautifulSoup(html, "html.parser").select("a[href]"):
        href = urldefrag(attr(a, "href"))[0]
        parts = urlsplit(href)
        if not parts.netloc and href.startswith("/") and not href.startswith("/static/"):
            yield href


def test_every_page_in_english_has_no_chinese_but_the_villages_data(demo: Demo) -> None:
    client, data = demo.client, demo.data
    seen: dict[str, list[str]] = {}
    queue = list(demo.seeds)
    visited: set[str] = set()
    problems: dict[str, list[str]] = {}
    while queue:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        name = _route_name(client, urlsplit(url).path)
        if name is None or name in NOT_PAGES or len(seen.setdefault(name, [])) >= PER_ROUTE:
            continue
        seen[name].append(url)
        response = client.get(url, follow_redirects=False)
        if response.status_code in (302, 303, 307):
            queue.append(response.headers["location"])
            continue
        assert response.status_code == 200, f"{url}: {response.status_code}"
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        if found := _leftovers(response.text, data):
            problems[url] = found
        queue.extend(link for link in _links(response.text) if link not in visited)

    get_routes = {
        r.name
        for r in client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, GuardedRoute) and "GET" in (r.methods or ())
    }
    unseen = sorted(get_routes - set(seen) - set(NOT_PAGES))
    assert unseen == [], f"pages no link leads to: add them to the crawl or to NOT_PAGES: {unseen}"
    assert problems == {}


def _form_errors(client: TestClient) -> dict[str, Any]:
    """Each form posted empty (or nearly): the page answered with its errors."""
    token = {"csrf_token": csrf_of(client, "/")}
    matter = _first_link(client, "/matters", r"^/matters/matter:[^/]+$")
    council = _first_link(client, "/councils", r"^/councils/[a-z_]+$")
    stage_form = _first_link(client, matter, r"^/matters/[^/]+/stages/[a-z_]+$")
    return {
        "/matters": client.post("/matters", data=token),
        "/supervision": client.post("/supervision", data=token),
        "/ceremonies": client.post("/ceremonies", data=token),
        f"{council}/members": client.post(f"{council}/members", data=token),
        stage_form: client.post(stage_form, data={**token, "held_at": "2026-13-01T10:00"}),
    }


def _first_link(client: TestClient, page: str, pattern: str) -> str:
    for link in _links(client.get(page).text):
        if re.match(pattern, link):
            return link
    raise AssertionError(f"no link like {pattern} on {page}")


def test_error_pages_and_refused_forms_in_english_have_no_chinese(demo: Demo) -> None:
    client, data = demo.client, demo.data
    answers: dict[str, Any] = {
        path: client.get(path)
        for path in (
            "/no/such/page",
            *(f"/matters/{m}" for m in MISSING),
            "/councils/nonexistent",
            "/matters/nonexistent/stages/proposal",
            "/matters/nonexistent/notices/nonexistent",
        )
    }
    answers.update(_form_errors(client))
    problems = {}
    for where, response in answers.items():
        assert response.status_code in (400, 404, 409, 422), f"{where}: {response.status_code}"
        if found := _leftovers(response.text, data):
            problems[where] = found
        assert "nonexistent" not in soup(response).select_one("main").get_text(), where  # type: ignore[union-attr]
    assert problems == {}


def test_the_login_page_in_english_has_no_chinese(make_client: Any) -> None:
    client = make_client(logged_in=False)
    client.cookies.set("lang", "en")
    assert _leftovers(client.get("/login").text, []) == []
