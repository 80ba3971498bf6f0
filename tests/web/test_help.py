"""使用帮助 (issue 9 point 16): a page per area, from the menu, offline (nothing but the app's
own pages and styles), and a line under each stage's title on what the law asks of it."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from village_app.domain.procedure import COUNCIL_STAGES, MAJOR_STAGES, PRIVATE_COUNCIL_STAGES
from village_app.web.pages.guide import AREAS
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, one, soup


def test_every_stage_says_what_the_law_asks_of_it() -> None:
    for spec in (*MAJOR_STAGES, *COUNCIL_STAGES, *PRIVATE_COUNCIL_STAGES):
        assert spec.hint and "\n" not in spec.hint, spec.key


def test_the_menu_leads_to_help_and_help_to_every_area(client: TestClient) -> None:
    overview = soup(client.get("/"))
    assert attr(one(overview, "#nav-help"), "href") == "/help"
    index = soup(client.get("/help"))
    listed = [attr(a, "href") for a in index.select(".help-index dt a")]
    assert listed == [f"/help/{a.key}" for a in AREAS]
    for area in AREAS:
        page = soup(client.get(f"/help/{area.key}"))
        assert one(page, "h1").get_text() == area.title
        assert len(page.select(".help-body li")) >= 3, area.key
        # Offline: nothing from another site (links, styles, scripts, images).
        for tag, name in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            for node in page.select(f"{tag}[{name}]"):
                assert not attr(node, name).startswith(("http:", "https:", "//")), area.key


def test_the_matters_help_lists_each_stage_with_its_hint(client: TestClient) -> None:
    page = soup(client.get("/help/matters"))
    major, council = page.select(".help-stages")
    assert [li.select_one(".stage-hint").get_text() for li in major.select("li")] == [  # type: ignore[union-attr]
        s.hint for s in MAJOR_STAGES
    ]
    assert len(council.select("li")) == len(COUNCIL_STAGES)


def test_an_unknown_area_is_a_404(client: TestClient) -> None:
    assert client.get("/help/nonexistent").status_code == 404


def test_the_sync_help_names_this_villages_file(client: TestClient) -> None:
    command = one(soup(client.get("/help/sync")), "pre.command").get_text()
    assert f"{VILLAGE}.sqlite http://" in command
    assert command.startswith("village-app replicate ")


@pytest.fixture
def proposed(make_client: ClientFactory) -> tuple[TestClient, str]:
    made: dict[str, str] = {}

    async def setup(db: object) -> None:
        made["id"] = (await villagedata.through_consultation(db)).id  # type: ignore[arg-type]

    return make_client(setup=setup), made["id"]


def test_each_stage_title_on_the_matter_page_has_its_hint_once(
    proposed: tuple[TestClient, str],
) -> None:
    client, matter_id = proposed
    page = soup(client.get(f"/matters/{matter_id}"))
    for spec in MAJOR_STAGES:
        stage = one(page, f"#stage-{spec.key}")
        hints = stage.select(".stage-hint")
        assert [h.get_text() for h in hints] == [spec.hint], spec.key  # the open form: not again
        heading = one(stage, "h3")
        assert heading.find_next_sibling() is hints[0]
    alone = soup(client.get(f"/matters/{matter_id}/stages/review"))
    assert one(alone, "legend + .stage-hint").get_text() == MAJOR_STAGES[2].hint
