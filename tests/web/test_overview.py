from __future__ import annotations

from village_app.web.pages.overview import OverviewPage
from web import villagedata
from web.helpers import ClientFactory, one, page_of, soup


def test_overview_shows_bodies_stages_and_open_supervision(make_client: ClientFactory) -> None:
    async def setup(db):  # type: ignore[no-untyped-def]
        await villagedata.small_village(db)
        await villagedata.through_consultation(db)

    client = make_client(setup=setup)
    response = client.get("/")
    page = page_of(response)
    assert isinstance(page, OverviewPage)
    assert page.village is not None and page.village.name == "清溪村"
    counts = {c.stage: c.count for c in page.major_stages}
    assert counts["review"] == 1 and counts["proposal"] == 0
    assert page.matters == 1
    council = next(b for b in page.bodies if b.kind == "residents_council")
    assert council.members == 2 and council.convenor == "陈会长"
    html = soup(response)
    assert one(html, '#major-stages [data-stage="review"]').get_text() == "1"
    assert one(html, '[data-body="supervision_committee"] p').get_text().startswith("3 名成员")


def test_overview_of_an_empty_village(client) -> None:  # type: ignore[no-untyped-def]
    page = page_of(client.get("/"))
    assert page.village is None and page.matters == 0 and page.open_supervision == ()
