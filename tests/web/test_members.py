"""Issue 9 point 4, at the handlers: a seat is edited (name, role, term, convenor) and the change
is kept in its history; a namesake on one body is refused unless the secretary says it is another
person; ended terms are listed apart as 已离任, without an end-term form; the overview and the
council page count the same members."""

from __future__ import annotations

import datetime as dt

from starlette.testclient import TestClient

import sync
from village_app.domain import BodyKind, Member
from web import villagedata
from web.helpers import ClientFactory, attr, form_token, one, page_of, soup

COUNCIL = "/councils/residents_council"


async def _village(db: sync.Database) -> None:
    await villagedata.small_village(db)
    # A member whose term is over: listed as 已离任, counted nowhere as serving.
    await villagedata.store(db).add_member(
        Member(
            BodyKind.RESIDENTS_COUNCIL,
            "周旧",
            "委员",
            dt.date(2021, 1, 1),
            dt.date(2023, 12, 31),
        )
    )


def _seat(client: TestClient, name: str) -> Member:
    roster = page_of(client.get(COUNCIL)).roster
    found: Member = next(m for m in roster.members if m.name == name)
    return found


def test_a_typo_is_fixed_and_kept_in_the_history(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    seat = _seat(client, "林委员")
    url = f"{COUNCIL}/members/{seat.id}/edit"
    form = page_of(client.get(url)).form
    assert form.values["name"] == "林委员" and form.values["rev"] == seat.rev
    saved = client.post(
        url,
        data={**form.values, "name": "林卫员", "role": "副会长", **form_token(client, url)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, [
        e.get_text() for e in soup(saved).select(".error, .field-error")
    ]
    assert saved.headers["location"].endswith(f"#member-{seat.id}")
    council = client.get(COUNCIL)
    assert page_of(council).saved == seat.id
    row = one(soup(council), f'tr[data-member="{seat.id}"]')
    assert "just-saved" in (row.get_attribute_list("class") or []) and "林卫员" in row.get_text()
    edited = page_of(client.get(url)).member
    assert edited.name == "林卫员" and edited.id == seat.id
    (change,) = edited.history
    assert change.by == "secretary"
    assert change.changes == (("name", "林委员", "林卫员"), ("role", "委员", "副会长"))
    history = one(soup(client.get(url)), ".member-history")
    assert "林委员" in history.get_text() and "林卫员" in history.get_text()
    # The revision read is stale now: a second edit from the old form is refused, not lost.
    stale = client.post(url, data={**form.values, "name": "林伟员", **form_token(client, url)})
    assert stale.status_code == 409


def test_a_namesake_is_refused_unless_it_is_another_person(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    data = {"name": "陈会长", "role": "委员", "term_start": "2026-01-01"}
    refused = client.post(f"{COUNCIL}/members", data={**data, **form_token(client)})
    assert refused.status_code == 422
    page = page_of(refused)
    assert page.same_name and "已有一位“陈会长”" in page.form.errors["name"]
    assert one(soup(refused), 'input[name="same_name_ok"]')
    added = client.post(
        f"{COUNCIL}/members",
        data={**data, "same_name_ok": "on", **form_token(client)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    seats = [m for m in page_of(client.get(COUNCIL)).roster.members if m.name == "陈会长"]
    assert len(seats) == 2 and seats[0].person_key != seats[1].person_key
    # Renaming a seat to a name already on the body asks the same question.
    other = _seat(client, "林委员")
    url = f"{COUNCIL}/members/{other.id}/edit"
    renamed = client.post(
        url,
        data={"name": "陈会长", "role": "委员", "rev": other.rev, **form_token(client, url)},
    )
    assert renamed.status_code == 422 and page_of(renamed).same_name


def test_ended_terms_are_apart_and_the_counts_agree(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    html = soup(client.get(COUNCIL))
    ended = one(html, "#ended-members")
    assert "周旧" in ended.get_text() and one(ended, "[data-ended]").get_text() == "已离任"
    assert not ended.select("form.end-term")
    serving = html.select("#members tr[data-member]")
    assert len(serving) == 2 and all(r.select("form.end-term") for r in serving)
    assert "（2 名）" in one(html, "#members-heading").get_text()
    overview = page_of(client.get("/"))
    counts = {b.kind: b.members for b in overview.bodies}
    assert counts["residents_council"] == 2
    councils = soup(client.get("/councils"))
    card = one(councils, '.roster[data-body="residents_council"] [data-serving]')
    assert attr(card, "data-serving") == "2"
    # Ending a term moves the seat to 已离任.
    seat = _seat(client, "林委员")
    ended_now = client.post(
        f"{COUNCIL}/members/{seat.id}/term",
        data={"rev": seat.rev, "term_end": "2026-01-31", **form_token(client)},
        follow_redirects=False,
    )
    assert ended_now.status_code == 303
    assert "林委员" in one(soup(client.get(COUNCIL)), "#ended-members").get_text()
    assert page_of(client.get("/")).bodies[0] is not None
    assert {b.kind: b.members for b in page_of(client.get("/")).bodies}["residents_council"] == 1


def test_an_english_page_shows_the_role_in_english_and_keeps_it(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=_village)
    client.cookies.set("lang", "en")
    seat = next(m for m in page_of(client.get("/councils/party_branch")).roster.members)
    assert seat.role == "书记"
    url = f"/councils/party_branch/members/{seat.id}/edit"
    form = page_of(client.get(url)).form
    assert form.values["role"] != "书记" and form.values["role"].isascii()
    saved = client.post(
        url, data={**form.values, **form_token(client, url)}, follow_redirects=False
    )
    assert saved.status_code == 303
    again = page_of(client.get(url)).member
    assert again.role == "书记" and again.history == ()  # nothing changed
