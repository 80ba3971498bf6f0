from __future__ import annotations

from village_app.web.pages.matters import MatterFilters, MattersPage
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, form_token, one, page_of, soup


async def _three_matters(db):  # type: ignore[no-untyped-def]
    from village_app.domain import Matter

    await villagedata.small_village(db)
    await villagedata.through_consultation(db)
    await villagedata.major_matter(db, "村集体资金使用")
    council = Matter(
        kind="council", title="修订红白事办理标准", body="residents_council", year=2025
    )
    await villagedata.store(db).create_matter(council)


def test_matters_list_filters_by_stage_body_and_year(make_client: ClientFactory) -> None:
    client = make_client(setup=_three_matters)
    everything = page_of(client.get("/matters"))
    assert isinstance(everything, MattersPage) and everything.total == 3
    review = page_of(client.get("/matters?stage=review"))
    assert [m.title for m in review.matters] == ["修建村东机耕道"]
    council = page_of(client.get("/matters?body=residents_council"))
    assert [m.title for m in council.matters] == ["修订红白事办理标准"] and council.total == 1
    response = client.get("/matters?year=2025")
    by_year = page_of(response)
    assert by_year.filters == MatterFilters(year=2025) and len(by_year.matters) == 1
    assert (by_year.total, by_year.pages, by_year.has_next) == (
        1,
        1,
        False,
    )  # counted for every filter
    assert one(soup(response), "#total").get_text() == "共 1 项"


def test_htmx_filter_gets_only_the_results_block(make_client: ClientFactory) -> None:
    client = make_client(setup=_three_matters)
    response = client.get("/matters?stage=proposal", headers={"HX-Request": "true"})
    html = soup(response)
    assert html.find("html") is None and html.select_one("section#results") is not None
    assert [a.get_text() for a in html.select("tr[data-matter] a")] == ["村集体资金使用"]
    assert page_of(response).filters.stage == "proposal"


def test_unknown_filter_values_are_ignored(make_client: ClientFactory) -> None:
    client = make_client(setup=_three_matters)
    page = page_of(client.get("/matters?stage=<script>&year=abc&body=x"))
    assert page.filters == MatterFilters() and page.total == 3


def test_create_a_major_matter(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    assert page_of(client.get("/matters/new")).form.values["kind"] == "major"
    response = client.post(
        "/matters",
        data={
            "kind": "major",
            "title": "新建文化广场",
            "year": "2026",
            "summary": "建设约 800 平方米",
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    matter_page = client.get(response.headers["location"])
    view = page_of(matter_page).view
    assert view.matter.title == "新建文化广场" and view.current_stage == "proposal"
    assert one(soup(matter_page), "#current-stage").get_text() == "党支部会提议"


def test_a_matter_without_a_title_is_refused_beside_the_field(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    response = client.post(
        "/matters", data={"kind": "major", "title": " ", "year": "2026", **form_token(client)}
    )
    assert response.status_code == 422
    assert page_of(response).form.errors == {"title": "请填写事项名称"}
    assert one(soup(response), '[data-field="title"]').get_text() == "请填写事项名称"


def test_a_council_matter_needs_its_council(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    response = client.post(
        "/matters", data={"kind": "council", "title": "议题", "year": "2026", **form_token(client)}
    )
    assert response.status_code == 422 and "body" in page_of(response).form.errors


def test_pages_of_25(make_client: ClientFactory) -> None:
    async def many(db):  # type: ignore[no-untyped-def]
        for i in range(30):
            await villagedata.major_matter(db, f"事项{i}")

    client = make_client(setup=many)
    first = page_of(client.get("/matters"))
    assert (first.total, first.pages, first.has_next, len(first.matters)) == (30, 2, True, 25)
    second = page_of(client.get("/matters?page=2"))
    assert len(second.matters) == 5 and not second.has_next
    assert {m.id for m in first.matters}.isdisjoint(m.id for m in second.matters)
    proposal = page_of(client.get("/matters?stage=proposal&page=9"))
    assert proposal.page == 2 and proposal.total == 30


def test_the_matters_index_is_built_at_start_up(make_client: ClientFactory) -> None:
    from village_app.web.state import app_state

    client = make_client(setup=_three_matters, logged_in=False)  # no page asked for yet
    index = app_state(client.app).caches_for(VILLAGE).matters  # type: ignore[arg-type]
    assert index is not None and index.built and len(index.docs) == 3
