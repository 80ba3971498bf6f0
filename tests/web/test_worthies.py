"""Issue 9 point 10, at the handlers: the worthies' association's advice and donations (from
whom, what, for which matter or project, how much, when), listed on the matter they support."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.testclient import TestClient

import sync
from village_app.domain import BodyKind, Member
from web import villagedata
from web.helpers import ClientFactory, form_token, one, page_of, soup


async def _village(db: sync.Database) -> None:
    await villagedata.small_village(db)
    await villagedata.store(db).add_member(
        Member(BodyKind.WORTHIES_ASSOCIATION, "王乡贤", "乡贤", dt.date(2024, 1, 1))
    )
    await villagedata.major_matter(db)


def _post(client: TestClient, **fields: Any) -> Any:
    return client.post(
        "/worthies",
        data={"given_on": "2026-11-20", **fields, **form_token(client, "/worthies")},
        follow_redirects=False,
    )


def test_a_donation_is_recorded_and_shown_on_its_matter(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    page = page_of(client.get("/worthies"))
    assert page.worthies == ("王乡贤",)
    (matter,) = page.matters
    saved = _post(
        client,
        kind="donation",
        giver="王乡贤",
        what="捐款用于机耕道硬化",
        matter=matter.id,
        amount="50000",
    )
    assert saved.status_code == 303
    listed = page_of(client.get("/worthies"))
    (entry,) = listed.entries
    assert (entry.giver, entry.amount, entry.matter) == ("王乡贤", 50000, matter.id)
    assert listed.saved == entry.id and listed.donated == 50000
    matter_page = client.get(f"/matters/{matter.id}")
    assert page_of(matter_page).contributions == (entry,)
    section = one(soup(matter_page), ".contributions")
    assert "王乡贤" in section.get_text() and "50000 元" in section.get_text()


def test_advice_for_a_project_and_every_error_at_once(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    refused = _post(client, kind="advice", giver="", what="", amount="100", given_on="2030-01-01")
    assert refused.status_code == 422
    assert set(page_of(refused).form.errors) == {"giver", "what", "matter", "amount", "given_on"}
    saved = _post(client, kind="advice", giver="王乡贤", what="建议建村史馆", project="村史馆")
    assert saved.status_code == 303
    (entry,) = page_of(client.get("/worthies")).entries
    assert entry.kind == "advice" and entry.project == "村史馆" and entry.amount is None


def test_a_matter_of_another_village_is_refused(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    refused = _post(
        client,
        kind="advice",
        giver="王乡贤",
        what="建议",
        matter="matter:999999999999:01JB0000000000000000000000",
    )
    assert refused.status_code == 404
    assert page_of(refused).form.errors["matter"] == "事项不存在"


def test_the_council_page_leads_there(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    html = soup(client.get("/councils/worthies_association"))
    assert one(html, "#worthies-link")["href"] == "/worthies"
