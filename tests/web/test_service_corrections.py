"""Correcting a service delivered or a duty (issue 13): the entry is evidence, so the
correction is a new entry naming it with a reason, made from a form filled with its values;
the figures count the correction only; refusals come back in Chinese with what was typed."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from village_app import accounts
from village_app.web.state import app_state
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, form_token, log_in, one, page_of, soup
from web.servicedata import Lists, county_lists

READER = "reader"
READER_PASSWORD = "reader-password-1"


def _client(make_client: ClientFactory) -> tuple[TestClient, Lists]:
    found: dict[str, Lists] = {}

    async def setup(db: Any) -> None:
        await villagedata.small_village(db)
        found["lists"] = await county_lists(db, VILLAGE)
        await accounts.add_user(db, READER, READER_PASSWORD, village=VILLAGE, role="viewer")

    client = make_client(setup=setup)
    return client, found["lists"]


def _post(client: TestClient, path: str, page: str, **fields: Any) -> Any:
    return client.post(path, data={**form_token(client, page), **fields}, follow_redirects=False)


def _log(client: TestClient, lists: Lists) -> str:
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
    return str(logged.headers["location"].split("#log-")[1])


def _stored(client: TestClient, docid: str) -> dict[str, Any]:
    state = app_state(client.app)  # type: ignore[arg-type]
    found: dict[str, Any] = client.portal.call(state.db.get, docid)  # type: ignore[union-attr]
    return found


def test_a_service_log_is_corrected_by_a_new_entry(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    log_id = _log(client, lists)
    project = f"/services/projects/{lists.project}"
    row = one(soup(client.get(project)), f"[data-log='{log_id}']")
    link = attr(one(row, "a[data-action=correct]"), "href")
    assert link == f"/services/logs/{log_id}/correct"
    # The form comes filled with the entry's values.
    form = one(soup(client.get(link)), "#correct-form")
    assert attr(one(form, "input[name=people_served]"), "value") == "18"
    assert attr(one(form, "input[name=what]"), "value") == "测血压、送药"
    saved = _post(
        client,
        link,
        link,
        served_on="2026-05-02",
        what="测血压、送药",
        people_served="16",
        volunteers="3",
        volunteer_hours="7.5",
        reason="重复登记了两位老人",
    )
    assert saved.status_code == 303, saved.text
    new_id = saved.headers["location"].split("#log-")[1]
    assert new_id != log_id
    page = page_of(client.get(project))
    assert page.totals.people_served == 16 and page.totals.services == 1
    assert log_id in page.corrected
    rows = soup(client.get(project))
    old = one(rows, f"[data-log='{log_id}']")
    assert "superseded" in old["class"] and "已被更正" in old.get_text()
    assert old.select("a[data-action=correct]") == []
    assert "重复登记了两位老人" in one(rows, f"[data-log='{new_id}']").get_text()
    # The original stays as it was; the correction names it.
    assert _stored(client, log_id)["people_served"] == 18
    stored = _stored(client, new_id)
    assert stored["corrects"] == log_id and stored["project_id"] == lists.project
    review = page_of(client.get("/services/review?year=2026")).review
    assert review.totals.people_served == 16
    # A superseded entry is not corrected again: the form says so, and the save is refused.
    stale_page = client.get(link)
    assert "已被更正" in one(soup(stale_page), ".error-summary").get_text()
    again = _post(
        client,
        link,
        link,
        served_on="2026-05-02",
        what="测血压",
        people_served="15",
        reason="再改一次",
    )
    assert again.status_code == 409
    assert "已被更正" in one(soup(again), ".error-summary").get_text()
    assert attr(one(soup(again), "input[name=people_served]"), "value") == "15"


def test_a_correction_without_a_reason_is_refused_keeping_what_was_typed(
    make_client: ClientFactory,
) -> None:
    client, lists = _client(make_client)
    log_id = _log(client, lists)
    link = f"/services/logs/{log_id}/correct"
    refused = _post(
        client,
        link,
        link,
        served_on="2026-05-02",
        what="测血压、量血糖",
        people_served="abc",
        reason="",
    )
    assert refused.status_code == 422
    page = page_of(refused)
    assert set(page.state.errors) >= {"reason", "people_served"}
    assert "原因" in page.state.errors["reason"]
    assert attr(one(soup(refused), "input[name=what]"), "value") == "测血压、量血糖"
    assert page_of(client.get(f"/services/projects/{lists.project}")).totals.services == 1


def test_a_pairing_activity_is_corrected_from_the_overview(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    logged = _post(
        client,
        f"/services/pairings/{lists.pairing}/logs",
        "/services",
        served_on="2026-04-10",
        what="普法讲座",
        people_served="40",
        volunteers="2",
        volunteer_hours="4",
    )
    assert logged.status_code == 303
    [line] = page_of(client.get("/services")).pairings
    [entry] = line.logs
    card = one(soup(client.get("/services")), f"[data-pairing='{lists.pairing}']")
    link = attr(one(card, f"[data-log='{entry.id}'] a[data-action=correct]"), "href")
    saved = _post(
        client,
        link,
        link,
        served_on="2026-04-10",
        what="普法讲座",
        people_served="35",
        volunteers="2",
        volunteer_hours="4",
        reason="签到表实为35人",
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith(f"#pairing-{lists.pairing}")
    [line] = page_of(client.get("/services")).pairings
    assert line.totals.people_served == 35 and line.totals.services == 1


def test_a_duty_is_corrected_and_its_holder_still_checked(make_client: ClientFactory) -> None:
    client, _ = _client(make_client)
    patrol = page_of(client.get("/services/posts")).lines[4].post
    _post(
        client,
        "/services/posts/claims",
        "/services/posts",
        post_id=patrol.id,
        holder="赵大山",
        holder_kind="party_member",
        since="2026-01-01",
    )
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
    duty_id = duty.headers["location"].split("#duty-")[1]
    item = one(soup(client.get("/services/posts")), f"[id='duty-{duty_id}']")
    link = attr(one(item, "a[data-action=correct]"), "href")
    form = one(soup(client.get(link)), "#correct-form")
    assert attr(one(form, "input[name=holder]"), "value") == "赵大山"
    assert attr(one(form, "input[name=hours]"), "value") == "2"
    # Someone who does not hold the post is refused, in Chinese, the typed text kept.
    refused = _post(
        client,
        link,
        link,
        holder="钱某",
        done_on="2026-05-01",
        what="夜间巡逻三小时",
        hours="3",
        reason="时长记错",
    )
    assert refused.status_code == 422
    assert "没有认领这个岗位" in page_of(refused).state.errors["holder"]
    assert attr(one(soup(refused), "input[name=what]"), "value") == "夜间巡逻三小时"
    saved = _post(
        client,
        link,
        link,
        holder="赵大山",
        done_on="2026-05-01",
        what="夜间巡逻",
        hours="3",
        reason="时长记错",
    )
    assert saved.status_code == 303
    line = page_of(client.get("/services/posts")).lines[4]
    assert line.hours == 3 and len(line.duties) == 1
    assert line.duties[0].corrects == duty_id


def test_only_the_secretary_corrects(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    log_id = _log(client, lists)
    client.post("/logout", data=form_token(client))
    assert log_in(client, READER, READER_PASSWORD).status_code == 303
    project = soup(client.get(f"/services/projects/{lists.project}"))
    assert project.select("a[data-action=correct]") == []
    assert client.get(f"/services/logs/{log_id}/correct").status_code == 403
    missing = client.get(f"/services/logs/service_log:{VILLAGE}:NOPE/correct")
    assert missing.status_code == 403  # a reader is refused before anything is looked up


def test_the_correction_pages_answer_in_english(make_client: ClientFactory) -> None:
    client, lists = _client(make_client)
    log_id = _log(client, lists)
    client.cookies.set("lang", "en")
    page = client.get(f"/services/logs/{log_id}/correct")
    assert page.status_code == 200
    assert one(soup(page), "h1").get_text() == "Correct a service entry"
    assert "The entry as recorded" in page.text
    review = client.get("/ledgers/services/print?year=2026")
    assert "Community services review 2026" in one(soup(review), ".ledger-title").get_text()
