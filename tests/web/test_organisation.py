from __future__ import annotations

from web import villagedata
from web.helpers import ClientFactory, form_token, one, page_of, soup


def _client(make_client: ClientFactory):  # type: ignore[no-untyped-def]
    return make_client(setup=villagedata.small_village)


def test_councils_page_lists_every_roster(make_client: ClientFactory) -> None:
    client = _client(make_client)
    page = page_of(client.get("/councils"))
    rosters = {r.kind: r for r in page.rosters}
    assert [m.name for m in rosters["residents_council"].members] == ["陈会长", "林委员"]
    assert len(rosters["supervision_committee"].members) == 3
    assert rosters["representatives"].rule is not None


def test_council_page_and_adding_a_member(make_client: ClientFactory) -> None:
    client = _client(make_client)
    response = client.get("/councils/residents_council")
    assert "超过半数" in one(soup(response), ".rule").get_text()
    added = client.post(
        "/councils/residents_council/members",
        data={"name": "赵新", "role": "委员", "term_start": "2026-01-01", **form_token(client)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    council = client.get("/councils/residents_council")
    names = [m.name for m in page_of(council).roster.serving]
    assert "赵新" in names
    assert "赵新" in one(soup(council), ".just-saved td:first-child").get_text()


def test_a_second_convenor_is_refused_beside_the_field(make_client: ClientFactory) -> None:
    client = _client(make_client)
    response = client.post(
        "/councils/residents_council/members",
        data={
            "name": "钱二",
            "role": "委员",
            "convenor": "on",
            "term_start": "2026-01-01",
            **form_token(client),
        },
    )
    assert response.status_code == 422
    assert "convenor" in page_of(response).form.errors
    assert (
        one(soup(response), '[data-field="convenor"]').get_text().startswith("村民议事会已有召集人")
    )


def test_supervisor_who_sits_on_the_villagers_committee_is_ineligible(
    make_client: ClientFactory,
) -> None:
    client = _client(make_client)
    response = client.post(
        "/councils/supervision_committee/members",
        data={"name": "王主任", "role": "委员", "term_start": "2026-01-01", **form_token(client)},
    )
    assert response.status_code == 422
    assert "不能担任村务监督委员会成员" in page_of(response).form.errors["name"]


def test_unknown_body_is_404(make_client: ClientFactory) -> None:
    client = _client(make_client)
    assert client.get("/councils/no_such_council").status_code == 404


def test_ending_a_term_keeps_the_seat_and_refuses_a_stale_edit(make_client: ClientFactory) -> None:
    client = _client(make_client)
    roster = page_of(client.get("/councils/residents_council")).roster
    member = next(m for m in roster.members if m.name == "林委员")
    url = f"/councils/residents_council/members/{member.id}/term"
    done = client.post(
        url,
        data={"term_end": "2026-12-31", "rev": member.rev, **form_token(client)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = next(
        m
        for m in page_of(client.get("/councils/residents_council")).roster.members
        if m.id == member.id
    )
    assert str(after.term_end) == "2026-12-31"
    stale = client.post(
        url, data={"term_end": "2027-01-31", "rev": member.rev, **form_token(client)}
    )
    assert stale.status_code == 409
    assert page_of(stale).form.errors[""] == "此成员信息已被他人修改，请刷新后再试"
    elsewhere = client.post(
        f"/councils/supervision_committee/members/{member.id}/term",
        data={"term_end": "2026-12-31", "rev": after.rev, **form_token(client)},
    )
    assert elsewhere.status_code == 404


def test_the_address_of_a_refused_save_leads_back_to_its_page_not_a_405(
    make_client: ClientFactory,
) -> None:
    """After a refused add the address bar shows the form's POST URL; entering it again (a GET)
    goes to the page the form is on."""
    client = make_client(setup=villagedata.small_village)
    refused = client.post(
        "/councils/residents_council/members", data={"name": "", **form_token(client)}
    )
    assert refused.status_code == 422
    again = client.get("/councils/residents_council/members", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].endswith(
        "/councils/residents_council"
    )
    thread = client.get("/supervision/supervision:x", follow_redirects=False)
    assert thread.status_code == 303 and thread.headers["location"].endswith("/supervision")
