"""Issue 9 point 5, at the handlers: 应到 comes from the body's roster on the meeting's day, the
roster is offered as ticks for attendance and the named vote, a name off the roster is refused,
a villagers' meeting still takes typed names, and 应到 unlike the roster is said (not refused).
The demo village's own stage 1 agrees with its rosters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.testclient import TestClient

import sync
from village_app import repo
from village_app.demo.build import build_demo, load_script
from village_app.domain import BodyKind, Member
from village_app.domain.rosters import MEETING_ROSTERS, meeting_roster
from village_app.web.state import app_state
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, form_token, one, page_of, soup

COMMITTEE = ("李书记", "赵副书记", "钱委员")


async def _village(db: sync.Database) -> None:
    await villagedata.small_village(db)
    for name in COMMITTEE:
        await villagedata.store(db).add_member(
            Member(BodyKind.BRANCH_COMMITTEE, name, "委员", dt.date(2024, 1, 1))
        )
    await villagedata.major_matter(db)


def _matter(client: TestClient) -> str:
    matter_id: str = page_of(client.get("/matters")).matters[0].id
    return matter_id


def _proposal(client: TestClient, matter_id: str, **fields: Any) -> Any:
    return client.post(
        f"/matters/{matter_id}/stages/proposal",
        data={
            "body": "party_branch",
            "held_at": "2026-11-02T19:30",
            "expected": "3",
            "content": "提议",
            **fields,
            **form_token(client),
        },
        follow_redirects=False,
    )


def test_the_form_offers_the_roster_and_prefills_expected(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    matter_id = _matter(client)
    response = client.get(f"/matters/{matter_id}")
    form = page_of(response).next_form
    assert form.roster_names == COMMITTEE  # the 党支部会 is its committee's meeting
    html = soup(response)
    assert attr(one(html, '#stage-form-proposal input[name="expected"]'), "value") == "3"
    ticks = html.select('#stage-form-proposal input[name="attendee"]')
    assert [attr(t, "value") for t in ticks] == list(COMMITTEE)
    assert not html.select('#stage-form-proposal textarea[name="attendees"]')


def test_ticks_are_the_attendance_and_a_stranger_is_refused(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    matter_id = _matter(client)
    refused = _proposal(client, matter_id, attendee=["李书记", "张三"])
    assert refused.status_code == 422
    error = page_of(refused).form.state.errors["attendees"]
    assert error == "张三不在村党支部的名单上（会议当天在任的成员）"
    saved = _proposal(client, matter_id, attendee=["李书记", "钱委员"])
    assert saved.status_code == 303
    record = page_of(client.get(f"/matters/{matter_id}")).view.stages[0].attempts[0].current
    assert record.attendance.present == 2  # counted from the ticks
    assert record.attendance.attendees == ("李书记", "钱委员")


def test_a_named_vote_from_the_roster(make_client: ClientFactory) -> None:
    async def setup(db: sync.Database) -> None:
        await villagedata.small_village(db)
        for name in ("党员甲", "党员乙", "党员丙"):
            await villagedata.store(db).add_member(
                Member(BodyKind.PARTY_BRANCH, name, "党员", dt.date(2024, 1, 1))
            )
        await villagedata.through_consultation(db)

    client = make_client(setup=setup)
    matter_id = _matter(client)
    form = page_of(client.get(f"/matters/{matter_id}")).next_form
    assert form.spec.key == "review" and form.roster_names == (
        "李书记",
        "党员甲",
        "党员乙",
        "党员丙",
    )
    response = client.post(
        f"/matters/{matter_id}/stages/review",
        data={
            "held_at": "2026-11-10T19:00",
            "expected": "4",
            "attendee": ["李书记", "党员甲", "党员乙", "党员丙"],
            "choice:李书记": "for",
            "choice:党员甲": "for",
            "choice:党员乙": "against",
            "choice:党员丙": "for",
            **form_token(client),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, page_of(response).form.state.errors
    record = page_of(client.get(f"/matters/{matter_id}")).view.stages[2].attempts[0].current
    assert (record.vote.in_favour, record.vote.against) == (3, 1)
    assert record.vote.by_name == (
        ("李书记", "for"),
        ("党员甲", "for"),
        ("党员乙", "against"),
        ("党员丙", "for"),
    )
    # The correction form starts with the same ticks and choices.
    page = page_of(client.get(f"/matters/{matter_id}/records/{record.id}/correct"))
    assert page.form.ticked("党员甲") and page.form.choice("党员乙") == "against"


def test_a_villagers_meeting_takes_typed_names(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    matter_id = _matter(client)
    roster = client.get(
        f"/matters/{matter_id}/stages/proposal/roster",
        params={"body": "villagers_meeting", "held_at": "2026-11-02T19:30"},
        headers={"HX-Request": "true"},
    )
    assert roster.status_code == 200
    assert soup(roster).select('textarea[name="attendees"]')
    assert not soup(roster).select('input[name="attendee"]')


def test_expected_unlike_the_roster_is_said(make_client: ClientFactory) -> None:
    client = make_client(setup=_village)
    live = client.get(
        "/meetings/check",
        params={"body": "party_branch", "expected": "7", "present": "3", "roster_size": "3"},
    )
    assert "应到 7 人，与名单上的 3 人不一致" in one(soup(live), '[data-live="warning"]').get_text()
    same = client.get(
        "/meetings/check",
        params={"body": "party_branch", "expected": "3", "present": "3", "roster_size": "3"},
    )
    assert not soup(same).select('[data-live="warning"]')


def test_the_demo_village_agrees_with_its_rosters(make_client: ClientFactory) -> None:
    async def demo(db: sync.Database) -> None:
        script = load_script()
        script["village"] = {**script["village"], "code": VILLAGE}
        await build_demo(db, script)

    client = make_client(setup=demo)
    state = app_state(client.app)  # type: ignore[arg-type]
    assert state.db is not None
    checked = 0

    async def check(db: sync.Database) -> int:
        store = repo.VillageStore(db, VILLAGE, villagedata.ACTOR)
        members = await store.list_members(private=False)
        n = 0
        for matter in await store.list_matters():
            for record in await store.list_stage_records(matter.id):
                if record.attendance is None or record.body not in MEETING_ROSTERS:
                    continue
                assert record.held_at is not None
                roster = meeting_roster(record.body, members, record.held_at.date())
                assert roster is not None
                if record.stage in ("proposal", "consultation", "council_proposal"):
                    assert record.attendance.expected == len(roster.names), (record.stage, roster)
                    n += 1
                assert set(record.attendance.attendees) <= set(roster.names)
        return n

    import asyncio

    checked = asyncio.run(check(state.db))
    assert checked > 5
