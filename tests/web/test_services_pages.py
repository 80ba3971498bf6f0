"""社会服务 in the field app, through its forms: a need recorded (its person sealed), a
resource proposed for it, a service logged, a paper rating typed in, a post claimed and a
duty logged, the yearly review; and what a reader who is not the secretary does not see."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from village_app import accounts
from village_app.repo.sealing import KEY_FILE
from village_app.web.state import app_state
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, form_token, log_in, one, page_of, soup
from web.servicedata import PERSON, Lists, county_lists

READER = "reader"
READER_PASSWORD = "reader-password-1"


def _setup(found: dict[str, Lists]) -> Any:
    async def setup(db: Any) -> None:
        await villagedata.small_village(db)
        found["lists"] = await county_lists(db, VILLAGE)
        await accounts.add_user(db, READER, READER_PASSWORD, village=VILLAGE, role="viewer")

    return setup


def _client(make_client: ClientFactory) -> tuple[TestClient, Lists]:
    found: dict[str, Lists] = {}
    client = make_client(setup=_setup(found))
    return client, found["lists"]


def _post(client: TestClient, path: str, page: str, **fields: Any) -> Any:
    return client.post(path, data={**form_token(client, page), **fields}, follow_redirects=False)


def _need_fields(**kw: str) -> dict[str, Any]:
    return {
        "visited_on": "2026-05-20",
        "visited_by": "王党员",
        "group": "elderly_alone",
        "person_name": PERSON.name,
        "address": PERSON.address,
        "phone": PERSON.phone,
        "notes": PERSON.notes,
        "summary": "需要每周上门量血压",
        "categories": ["medical", "elderly"],
        "kind": "charity",
        "people": "1",
        **kw,
    }


def test_a_need_is_recorded_sealed_and_a_resource_proposed(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    answer = _post(client, "/services/needs", "/services/needs", **_need_fields())
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"])
    need_id = answer.headers["location"].split("#need-")[1]
    card = one(soup(page), f"[data-need='{need_id}']")
    assert PERSON.name in card.get_text() and card["data-status"] == "waiting"
    assert "just-saved" in card["class"]
    # The key sits in the data folder, 0600; the stored document holds no name.
    state = app_state(client.app)  # type: ignore[arg-type]
    key_file = state.settings.data_dir / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    raw = client.portal.call(state.db.get, need_id)  # type: ignore[union-attr]
    assert PERSON.name not in str(raw) and PERSON.phone not in str(raw) and "sealed" in raw
    # The clinic's resource is suggested first; proposing it marks the need.
    options = [attr(o, "value") for o in card.select("select[name=resource_id] option")]
    assert options[1] == lists.clinic
    rev = attr(one(card, "input[name=rev]"), "value")
    proposed = _post(
        client,
        f"/services/needs/{need_id}/propose",
        "/services/needs",
        resource_id=lists.clinic,
        rev=rev,
    )
    assert proposed.status_code == 303
    card = one(soup(client.get("/services/needs")), f"[data-need='{need_id}']")
    assert card["data-status"] == "proposed"
    # Closing needs a reason; then it leaves the open list.
    rev = attr(one(card, "input[name=rev]"), "value")
    refused = _post(
        client, f"/services/needs/{need_id}/close", "/services/needs", closed_reason="", rev=rev
    )
    assert refused.status_code == 422
    assert "关闭原因" in one(soup(refused), ".line-error").get_text()
    closed = _post(
        client,
        f"/services/needs/{need_id}/close",
        "/services/needs",
        closed_reason="已搬去县城",
        rev=rev,
    )
    assert closed.status_code == 303
    assert soup(client.get("/services/needs")).select(f"[data-need='{need_id}']") == []
    shown = one(soup(client.get("/services/needs?show=all")), f"[data-need='{need_id}']")
    assert shown["data-status"] == "closed"


def test_a_need_form_shows_every_error_and_keeps_what_was_typed(
    make_client: ClientFactory,
) -> None:
    client, _ = _client(make_client)
    answer = _post(
        client,
        "/services/needs",
        "/services/needs",
        **_need_fields(group="", person_name="", summary="", people="0"),
    )
    assert answer.status_code == 422
    page = page_of(answer)
    assert set(page.form.errors) >= {"group", "person_name", "summary", "people"}
    assert page.form.values["address"] == PERSON.address


def test_a_service_and_paper_ratings_are_logged_on_the_project(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    path = f"/services/projects/{lists.project}"
    logged = _post(
        client,
        f"{path}/logs",
        path,
        served_on="2026-05-02",
        what="测血压、送药",
        people_served="18",
        volunteers="3",
        volunteer_hours="7.5",
    )
    assert logged.status_code == 303, logged.text
    page = page_of(client.get(path))
    assert (page.totals.services, page.totals.people_served, page.totals.volunteer_hours) == (
        1,
        18,
        7.5,
    )
    for scores in ({"score_filial": "5", "score_close": "4"}, {"score_filial": "3"}):
        rated = _post(
            client,
            f"{path}/ratings",
            path,
            collected_on="2026-05-03",
            source="meeting",
            **scores,
        )
        assert rated.status_code == 303
        assert "source=meeting" in rated.headers["location"]
    again = client.get(rated.headers["location"])
    form = one(soup(again), "#rating-form")
    assert attr(one(form, "option[selected]"), "value") == "meeting"
    assert attr(one(form, "input[name=collected_on]"), "value") == "2026-05-03"
    page = page_of(again)
    assert page.satisfaction.ratings == 2 and page.satisfaction.heart_average("filial") == 4
    empty = _post(client, f"{path}/ratings", path, collected_on="2026-05-03", source="paper")
    assert empty.status_code == 422 and "scores" in page_of(empty).rating_form.errors
    kiosk = _post(
        client, f"{path}/ratings", path, collected_on="2026-05-03", source="kiosk", score_love="5"
    )
    assert kiosk.status_code == 422  # the secretary does not type the kiosk's ratings
    review = page_of(client.get("/services/review?year=2026")).review
    assert review.totals.people_served == 18 and review.satisfaction.ratings == 2


def test_a_pairing_activity_is_logged_from_the_overview(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    answer = _post(
        client,
        f"/services/pairings/{lists.pairing}/logs",
        "/services",
        served_on="2026-04-10",
        what="普法讲座",
        people_served="40",
        volunteers="2",
        volunteer_hours="4",
    )
    assert answer.status_code == 303
    page = page_of(client.get("/services"))
    [line] = page.pairings
    assert line.totals.people_served == 40
    bad = _post(
        client, f"/services/pairings/{lists.pairing}/logs", "/services", served_on="", what=""
    )
    assert bad.status_code == 422
    assert one(soup(bad), f"[data-pairing='{lists.pairing}'] details[open]")


def test_posts_are_claimed_and_duties_logged(make_client: ClientFactory) -> None:
    client, _ = _client(make_client)
    page = page_of(client.get("/services/posts"))
    patrol = page.lines[4].post
    assert patrol.name == "治安义务巡防员"
    claimed = _post(
        client,
        "/services/posts/claims",
        "/services/posts",
        post_id=patrol.id,
        holder="赵大山",
        holder_kind="party_member",
        since="2026-01-01",
    )
    assert claimed.status_code == 303
    duty = _post(
        client,
        "/services/posts/duties",
        "/services/posts",
        post_id=patrol.id,
        holder="赵大山",
        done_on="2026-05-01",
        what="夜间巡逻",
        hours="2",
    )
    assert duty.status_code == 303, duty.text
    not_holder = _post(
        client,
        "/services/posts/duties",
        "/services/posts",
        post_id=patrol.id,
        holder="钱某",
        done_on="2026-05-01",
        what="巡逻",
    )
    assert not_holder.status_code == 422 and "holder" in page_of(not_holder).form.errors
    added = _post(client, "/services/posts", "/services/posts", name="护林防火员", duties="巡山")
    assert added.status_code == 303
    lines = page_of(client.get("/services/posts")).lines
    assert lines[-1].post.name == "护林防火员"
    assert [c.holder for c in lines[4].holders] == ["赵大山"] and len(lines[4].duties) == 1


def test_a_reader_sees_projects_but_never_needs_or_names(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    _post(client, "/services/needs", "/services/needs", **_need_fields())
    client.post("/logout", data=form_token(client))
    assert log_in(client, READER, READER_PASSWORD).status_code == 303
    assert client.get("/services/needs").status_code == 403
    overview = client.get("/services")
    assert overview.status_code == 200 and page_of(overview).needs_waiting is None
    assert soup(overview).select("a[href='/services/needs']") == []
    project = client.get(f"/services/projects/{lists.project}")
    assert PERSON.name not in project.text and soup(project).select("#log-form") == []
    assert client.get("/services/resources").status_code == 200


def test_the_resource_list_filters_by_kind_and_category(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    everything = soup(client.get("/services/resources"))
    assert {attr(c, "data-resource") for c in everything.select("[data-resource]")} == {
        lists.clinic,
        lists.legal,
    }
    legal = soup(client.get("/services/resources?kind=mediation"))
    assert [attr(c, "data-resource") for c in legal.select("[data-resource]")] == [lists.legal]
    medical = soup(client.get("/services/resources?category=medical"))
    assert [attr(c, "data-resource") for c in medical.select("[data-resource]")] == [lists.clinic]


def test_no_lists_yet_says_what_to_do(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    assert one(soup(client.get("/services")), "#no-projects")
    assert one(soup(client.get("/services/resources")), "#no-resources")
    assert client.get(f"/services/projects/service_project:{VILLAGE}:NOPE").status_code == 404


def test_every_service_page_answers_in_english(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    client.cookies.set("lang", "en")
    for path in (
        "/services",
        "/services/needs",
        "/services/resources",
        "/services/posts",
        "/services/review",
        f"/services/projects/{lists.project}",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Community services" in page.text, path
