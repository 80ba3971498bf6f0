"""Finding things: the header's search box over matters, stage records, supervision entries and
(for the secretary only) 红白事 registrations; results grouped, highlighted and escaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.testclient import TestClient

from village_app import accounts
from village_app.domain import BodyKind, Ceremony, Matter, Member, SupervisionEntry
from village_app.domain.dates import SHANGHAI
from village_app.web.pages.search import SearchPage
from village_app.web.state import app_state
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, form_token, log_in, one, page_of, soup

VIEWER_PASSWORD = "viewer-password-1"
SCRIPT_TITLE = "<script>alert(1)</script>太阳能热水器"


async def _village(db: Any) -> None:
    await villagedata.small_village(db)
    store = villagedata.store(db)
    await villagedata.through_consultation(db)
    lamps = await store.create_matter(
        Matter(
            kind="major",
            title="主干道太阳能路灯安装",
            body="",
            year=2026,
            summary="沿主干道安装 40 盏路灯。",
        )
    )
    await store.create_matter(Matter(kind="major", title=SCRIPT_TITLE, body="", year=2026))
    noted = dt.datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
    await store.add_supervision(
        SupervisionEntry("太阳能路灯的采购价格未公示", "周监督", noted_at=noted, matter=lamps.id)
    )
    await store.add_member(
        Member(
            BodyKind.WEDDINGS_FUNERALS_COUNCIL,
            "田理事",
            "理事长",
            dt.date(2024, 1, 1),
            convenor=True,
        )
    )
    await store.add_ceremony(
        Ceremony(
            "wedding",
            "张家",
            dt.date(2026, 5, 1),
            10,
            registered_by="田理事",
            note="以太阳能热水器代替彩礼",
        )
    )
    await accounts.add_user(db, "viewer", VIEWER_PASSWORD, village=VILLAGE, role="viewer")


def _search(client: TestClient, q: str, **headers: str) -> Any:
    return client.get("/search", params={"q": q}, headers=headers)


def _matters_found(page: SearchPage) -> int:
    return sum(g.total for g in page.results.groups if g.kind == "matter")


def _viewer(make_client: ClientFactory) -> TestClient:
    client = make_client(setup=_village, logged_in=False)
    assert log_in(client, "viewer", VIEWER_PASSWORD).status_code == 303
    return client


def test_a_substring_finds_matters_supervision_and_ceremonies_grouped(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=_village)
    response = _search(client, "太阳能")
    page = page_of(response)
    assert isinstance(page, SearchPage) and page.ceremonies
    groups = {g.kind: g for g in page.results.groups}
    assert list(groups) == ["matter", "supervision", "ceremony"]
    assert sorted(h.entry.title for h in groups["matter"].hits) == sorted(
        ["主干道太阳能路灯安装", SCRIPT_TITLE]
    )
    lamps = next(h for h in groups["matter"].hits if h.entry.title == "主干道太阳能路灯安装")
    assert (lamps.field, lamps.before, lamps.match, lamps.after) == (
        "title",
        "主干道",
        "太阳能",
        "路灯安装",
    )
    html = soup(response)
    item = one(html, f'.search-group[data-kind="matter"] li[data-id="{lamps.entry.id}"]')
    assert attr(one(item, "a"), "href") == f"/matters/{lamps.entry.id}"
    assert one(item, "mark").get_text() == "太阳能"
    thread = one(html, '.search-group[data-kind="supervision"] li')
    assert attr(one(thread, "a"), "href").startswith("/supervision#thread-supervision:")
    assert "主干道太阳能路灯安装" in one(thread, "a").get_text()
    ceremony = one(html, '.search-group[data-kind="ceremony"] li')
    assert attr(one(ceremony, "a"), "href") == "/ceremonies?year=2026"
    assert one(ceremony, "mark").get_text() == "太阳能"


def test_stage_record_contents_link_to_their_stage(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    page = page_of(_search(client, "CONSULTATION 内"))  # case does not matter
    [group] = page.results.groups
    assert group.kind == "stage_record" and group.total == 1
    [found] = group.hits
    assert found.match == "consultation 内" and found.field == "content"
    link = one(
        soup(_search(client, "consultation 内")), '.search-group[data-kind="stage_record"] a'
    )
    assert attr(link, "href") == f"/matters/{found.entry.matter}#stage-consultation"
    assert link.get_text().startswith("修建村东机耕道")


def test_viewers_never_get_ceremonies(make_client: ClientFactory) -> None:
    client = _viewer(make_client)
    response = _search(client, "太阳能")
    page = page_of(response)
    assert not page.ceremonies
    assert [g.kind for g in page.results.groups] == ["matter", "supervision"]
    assert "彩礼" not in response.text and "张家" not in response.text
    assert page_of(_search(client, "张家")).results.groups == ()
    assert soup(response).select_one("#nav-ceremonies") is None
    secretary = make_client(setup=_village)
    assert attr(one(soup(secretary.get("/")), "#nav-ceremonies"), "href") == "/ceremonies"


def test_a_title_with_markup_is_shown_as_text(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    response = _search(client, "script")
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    html = soup(response)
    assert html.select("main script") == []
    hit = one(html, '.search-group[data-kind="matter"] .hit')
    assert one(hit, "mark").get_text() == "script"
    assert "<script>alert(1)</script>" in hit.get_text()  # the text, escaped in the markup


def test_htmx_gets_the_results_block_and_the_index_follows_new_records(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=_village)
    fragment = _search(client, "机耕道", **{"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<header" not in fragment.text and 'id="search-results"' in fragment.text
    assert _matters_found(page_of(fragment)) == 1
    state = app_state(client.app)  # type: ignore[arg-type]
    index = state.caches_for(VILLAGE).search
    assert index is not None and index.built  # built at start-up, not per query
    created = client.post(
        "/matters",
        data={"kind": "major", "title": "村西机耕道延伸", "year": "2026", **form_token(client)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert _matters_found(page_of(_search(client, "机耕道"))) == 2
    assert state.caches_for(VILLAGE).search is index


def test_the_box_is_in_every_signed_in_header_and_works_without_javascript(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=_village)
    for path in ("/", "/matters", "/supervision", "/ceremonies"):
        form = one(soup(client.get(path)), "header form.site-search")
        assert attr(form, "method") == "get" and attr(form, "action") == "/search"
        assert attr(one(form, "input"), "name") == "q"
    page = soup(_search(client, "路灯"))
    assert attr(one(page, "#site-search-q"), "value") == "路灯"
    empty = _search(client, "   ")
    assert (
        page_of(empty).results.groups == () and soup(empty).select_one("#search-hint") is not None
    )
    nothing = _search(client, "没有这个词")
    assert (
        page_of(nothing).results.groups == ()
        and "没有找到" in one(soup(nothing), "#search-total").get_text()
    )
    client.post("/logout", data=form_token(client))
    assert soup(client.get("/login")).select_one("form.site-search") is None


def test_the_current_stage_links_to_its_form(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    [matter] = [m for m in page_of(client.get("/matters")).matters if m.title == "修建村东机耕道"]
    link = one(soup(client.get(f"/matters/{matter.id}")), "#current-stage a")
    assert attr(link, "href") == f"/matters/{matter.id}/stages/review"
    assert client.get(attr(link, "href")).status_code == 200
    client.post("/logout", data=form_token(client))
    assert log_in(client, "viewer", VIEWER_PASSWORD).status_code == 303
    assert (
        attr(one(soup(client.get(f"/matters/{matter.id}")), "#current-stage a"), "href")
        == "#stage-review"
    )
