"""The 红白理事会's register: events checked against the village standard, through the form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from village_app.domain import BodyKind, Member
from village_app.web.pages.ceremonies import CeremoniesPage
from web import villagedata
from web.helpers import ClientFactory, attr, form_token, one, page_of, soup


async def _council_and_standard(db: Any) -> None:
    await villagedata.small_village(db)
    await villagedata.store(db).add_member(
        Member(
            BodyKind.WEDDINGS_FUNERALS_COUNCIL,
            "田理事",
            "理事长",
            dt.date(2024, 1, 1),
            convenor=True,
        )
    )
    await villagedata.store(db).add_village_rule(
        "红白事标准",
        "红白事简办标准",
        "婚事不超过15桌",
        limits={"wedding": {"max_tables": 15, "max_gift": 200}},
    )


def _register(client: Any, **fields: str) -> Any:
    data = {
        "kind": "wedding",
        "family": "张家",
        "held_on": "2026-05-01",
        "tables": "12",
        "gift": "200",
        "registered_by": "田理事",
        **fields,
    }
    return client.post(
        "/ceremonies?year=2026", data={**data, **form_token(client)}, follow_redirects=False
    )


def test_events_are_registered_and_checked_against_the_standard(make_client: ClientFactory) -> None:
    client = make_client(setup=_council_and_standard)
    council = soup(client.get("/councils/weddings_funerals_council"))
    assert attr(one(council, "#ceremonies-link"), "href") == "/ceremonies"
    assert _register(client).status_code == 303
    done = _register(client, family="李家", tables="18", note="已上门劝导")
    assert done.status_code == 303 and "/ceremonies?year=2026#ceremony-" in done.headers["location"]
    response = client.get("/ceremonies?year=2026")
    page = page_of(response)
    # The registration just saved is the one the page highlights (once: not after a reload).
    assert page.saved and done.headers["location"].endswith(page.saved)
    assert page_of(client.get("/ceremonies?year=2026")).saved == ""
    assert isinstance(page, CeremoniesPage) and page.registrars == ("田理事",)
    assert page.limits["wedding"].max_tables == 15 and page.kept == 1
    by_family = {c.family: c for c in page.ceremonies}
    assert by_family["张家"].kept and not by_family["李家"].kept
    assert [b.what for b in by_family["李家"].breaches] == ["tables"]
    assert "宴席18桌，超过标准15桌" in response.text
    rows = soup(response).select("#register tr[data-ceremony]")
    assert sorted(r["data-kept"] for r in rows) == ["no", "yes"]
    assert page_of(client.get("/ceremonies?year=2025")).ceremonies == ()


def test_a_registration_by_someone_off_the_council_is_refused_beside_the_field(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=_council_and_standard)
    refused = _register(client, registered_by="陈会长")
    assert refused.status_code == 422
    assert "registered_by" in page_of(refused).form.errors
    assert soup(refused).select_one('.field-error[data-field="registered_by"]') is not None
    bad_number = _register(client, tables="很多")
    assert bad_number.status_code == 422 and "tables" in page_of(bad_number).form.errors
    assert page_of(client.get("/ceremonies?year=2026")).ceremonies == ()


def test_kind_names_and_the_council_link_in_english(make_client: ClientFactory) -> None:
    client = make_client(setup=_council_and_standard)
    assert soup(client.get("/councils/residents_council")).select_one("#ceremonies-link") is None
    client.cookies.set("lang", "en")
    html = soup(client.get("/ceremonies"))
    assert [o.get_text() for o in html.select('select[name="kind"] option')] == [
        "Wedding",
        "Funeral",
    ]
    wedding = html.select_one('#standard tr[data-kind="wedding"] td')
    assert wedding is not None and wedding.get_text() == "Wedding"
    back = html.select_one('main a[href="/councils/weddings_funerals_council"]')
    assert back is not None and back.get_text() == "← Weddings and funerals council"
