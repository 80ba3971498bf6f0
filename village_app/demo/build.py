"""Play the demo script (``fixtures/demo_village.json``) into a village database.

Everything goes through the records store (:mod:`village_app.repo`), so the
demo obeys the same rules as the secretary's forms. Names, counts and ids come
from one seeded random source and a scripted clock, so every run makes the same
village.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random
from typing import Any

from sync.database import Database
from village_app import repo
from village_app.demo.samples import minutes_pdf, person_names, phone, signed_sheet_png
from village_app.domain import (
    COUNCIL_STAGES,
    MAJOR_STAGES,
    SHANGHAI,
    Attendance,
    Body,
    BodyKind,
    Ceremony,
    Matter,
    Member,
    Publication,
    StageRecord,
    SupervisionEntry,
    Village,
    Vote,
    body_name,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "demo_village.json"
TERM = (date(2024, 1, 1), date(2028, 12, 31))


def load_script(path: Path = FIXTURE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        script: dict[str, Any] = json.load(fh)
    return script


@dataclass
class _Clock:
    """The demo's "now": set before each write so created_at follows the story."""

    now: datetime = datetime(2024, 1, 1, tzinfo=SHANGHAI)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class _Demo:
    db: Database
    script: dict[str, Any]
    rng: Random
    clock: _Clock = field(default_factory=_Clock)
    roster: dict[str, list[Member]] = field(default_factory=dict)
    matters: dict[str, Matter] = field(default_factory=dict)
    _store: repo.VillageStore | None = None
    people: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return str(self.script["village"]["code"])

    @property
    def store(self) -> repo.VillageStore:
        """The village's store, writing as the demo secretary on the demo's clock."""
        if self._store is None:
            actor = repo.Actor(self.script["secretary"]["username"], self.clock, self.rng)
            self._store = repo.VillageStore(self.db, self.code, actor)
        return self._store

    def at(self, moment: datetime) -> None:
        # Records are typed in an hour or two after the meeting they describe.
        self.clock.now = moment + timedelta(hours=1, minutes=self.rng.randrange(60))

    def names(self, body: str) -> list[str]:
        return [m.name for m in self.roster.get(body, [])]


async def _organisation(demo: _Demo) -> None:
    s = demo.script
    demo.clock.now = datetime(2024, 1, 8, 10, tzinfo=SHANGHAI)
    await demo.store.save_village(Village(**s["village"]))
    for kind in BodyKind:
        if kind in s["charters"] or kind in s["rules"]:
            body = Body(kind=kind, charter=s["charters"].get(kind, ""), rule=s["rules"].get(kind))
            await demo.store.save_body(body)
    for rule in s["village_rules"]:
        await demo.store.add_village_rule(
            rule["kind"],
            rule["title"],
            rule["text"],
            limits=rule.get("limits"),
        )

    people = demo.people = person_names(demo.rng, 80)
    # Who sits where: the secretary chairs both committees (一肩挑); councils draw on the
    # representatives; worthies live elsewhere; supervisors sit on no committee.
    seats: dict[str, list[str]] = {
        "villagers_committee": [people[0], *people[1:5]],
        "branch_committee": [people[0], people[5], people[1], people[6], people[7]],
        "party_branch": [people[0], people[5], people[1], people[6], people[7], *people[20:45]],
        "representatives": people[10:40],
        "residents_council": people[12:21],
        "weddings_funerals_council": [*people[40:44], *people[30:33]],
        "moral_review_council": [*people[44:48], *people[33:36]],
        "worthies_association": people[48:56],
        "supervision_committee": people[60:63],
    }
    relatives = {people[0]: (people[70],), people[2]: (people[71],)}
    for body, roles in s["roster"].items():
        names = iter(seats[body])
        for role, count, convenor in roles:
            for _ in range(count):
                name = next(names)
                start, end = (
                    (date(2025, 3, 1), date(2027, 12, 31))
                    if body == "worthies_association"
                    else TERM
                )
                member = Member(
                    body=body,
                    name=name,
                    role=role,
                    term_start=start,
                    term_end=end,
                    convenor=convenor,
                    close_relatives=relatives.get(name, ()),
                    phone=phone(demo.rng),
                )
                demo.roster.setdefault(body, []).append(await demo.store.add_member(member))


def _expected(demo: _Demo, body: str) -> int:
    if body == BodyKind.TWO_COMMITTEES:
        return len(set(demo.names("branch_committee")) | set(demo.names("villagers_committee")))
    if body == BodyKind.PARTY_BRANCH:
        return len(demo.roster["branch_committee"])  # the branch meeting is its committee's
    return len(demo.roster.get(body, [])) or 30


def _meeting(
    demo: _Demo,
    body: str,
    *,
    present: int | None = None,
    vote: list[int] | None = None,
    voting: bool = False,
) -> tuple[Attendance, Vote | None]:
    expected = _expected(demo, body)
    if present is None:
        present = expected if expected <= 9 else expected - demo.rng.randrange(2, 7)
    names: tuple[str, ...] = ()
    if body in (
        BodyKind.PARTY_BRANCH,
        BodyKind.TWO_COMMITTEES,
        *[str(c) for c in BodyKind if "council" in c],
    ):
        pool = (
            sorted(set(demo.names("branch_committee")) | set(demo.names("villagers_committee")))
            if body == BodyKind.TWO_COMMITTEES
            else demo.names("branch_committee" if body == BodyKind.PARTY_BRANCH else body)
        )
        names = tuple(pool[:present]) if len(pool) >= present else ()
    if vote is None and not voting:
        return Attendance(expected, present, attendees=names), None
    if vote is None:
        against = demo.rng.randrange(0, 3)
        abstain = demo.rng.randrange(0, 2)
        vote = [present - against - abstain, against, abstain]
    return Attendance(expected, present, attendees=names), Vote(vote[0], vote[1], vote[2])


_TEXT = {
    "proposal": "党支部会议研究，提议：{title}。{summary}",
    "consultation": "两委联席会议商议，一致同意将“{title}”方案提交党员大会审议。",
    "review": "党员大会审议了“{title}”方案，同意提交村民代表会议决议。",
    "resolution": "经表决，同意{title}。{summary}",
    "council_proposal": "{body}成员提议：{title}。{summary}",
    "deliberation": "{body}召开议事会议，讨论“{title}”，形成初步方案。",
    "council_vote": "对“{title}”方案进行表决。",
    "council_resolution": "{body}决议：{title}。{summary}",
}


def _record(
    demo: _Demo,
    matter: Matter,
    spec_key: str,
    when: datetime,
    plan: dict[str, Any],
    *,
    failed: dict[str, Any] | None = None,
) -> StageRecord:
    spec = next(s for s in (*MAJOR_STAGES, *COUNCIL_STAGES) if s.key == spec_key)
    title, summary = matter.title, matter.summary
    if spec.publication:
        first = spec_key != "result_publication"
        what = f"关于“{title}”的{'决议' if first else '实施结果'}公告"
        text = (
            f"经村民代表会议决议：{summary}"
            if first
            else plan.get("result") or f"{title}已按决议实施完毕。"
        )
        if matter.commendation:
            what, text = (
                f"{title}红榜",
                f"经道德评议会评议，{title}结果予以公布，树立孝老爱亲新风。",
            )
        where = "村务公开栏、村民微信群" if first else "村务公开栏"
        return StageRecord(
            matter=matter.id,
            stage=spec_key,
            publication=Publication(what, where, when),
            content=text,
        )
    body = matter.body if spec.bodies and spec.bodies[0] == "own_council" else str(spec.bodies[0])
    attendance: Attendance | None = None
    vote: Vote | None = None
    if spec.meeting:
        attendance, vote = _meeting(
            demo,
            body,
            present=(failed or plan.get(spec_key) or {}).get("present"),
            vote=(failed or plan.get(spec_key) or {}).get("vote"),
            voting=spec.vote,
        )
    content = _TEXT[spec_key].format(title=title, summary=summary, body=body_name(body))
    staff = ("东溪镇驻村干部 周晓东",) if spec_key in ("review", "resolution") else ()
    place = "村委会会议室" if body != BodyKind.VILLAGERS_MEETING else "村文化礼堂"
    form = "现场会议"
    return StageRecord(
        matter=matter.id,
        stage=spec_key,
        body=body,
        held_at=when,
        place=place,
        form=form,
        attendance=attendance,
        vote=vote,
        content=content,
        township_staff=staff,
    )


def _attachments(demo: _Demo, matter_key: str, record: StageRecord) -> list[repo.NewAttachment]:
    if record.publication is not None:
        return [repo.NewAttachment("公开栏照片.png", signed_sheet_png(demo.rng))]
    found = [repo.NewAttachment("签到表.png", signed_sheet_png(demo.rng))]
    if record.stage == "resolution":
        found.append(
            repo.NewAttachment(
                "会议记录.pdf", minutes_pdf(f"Cunyi demo: minutes, {matter_key}, stage 4")
            )
        )
    return found


async def _matter(demo: _Demo, plan: dict[str, Any]) -> None:
    start = datetime.combine(date.fromisoformat(plan["start"]), time(19, 30), SHANGHAI)
    demo.at(start - timedelta(days=2))
    matter = await demo.store.create_matter(
        Matter(
            kind=plan["kind"],
            title=plan["title"],
            body=plan.get("body", ""),
            year=plan["year"],
            summary=plan["summary"],
            category=plan.get("category", ""),
            commendation=bool(plan.get("commendation")),
        ),
    )
    demo.matters[plan["key"]] = matter
    stages = [s.key for s in (MAJOR_STAGES if plan["kind"] == "major" else COUNCIL_STAGES)]
    until = plan["steps"].split(":", 1)[1] if plan["steps"].startswith("until:") else None
    failures = {"resolution": plan.get("failed_resolution"), "review": plan.get("rejected_review")}
    when = start
    records: dict[str, StageRecord] = {}
    for key in stages:
        if key == until and failures.get(key) is None:
            break
        failed = failures.get(key)
        if failed:
            demo.at(when)
            record = _record(demo, matter, key, when, plan, failed=failed)
            await demo.store.append_stage_record(
                matter.id,
                record,
                attachments=_attachments(demo, plan["key"], record) if plan.get("attach") else (),
            )
            when += timedelta(days=10)
            if key == "resolution":  # held again with one more representative
                plan = {**plan, "resolution": {"present": 21}}
        if key == until:
            break
        if plan.get("correct", {}).get("stage") == key:
            plan = {**plan, key: {"present": 26, "vote": plan["correct"]["was"]}}
        demo.at(when)
        record = _record(demo, matter, key, when, plan)
        attachments = _attachments(demo, plan["key"], record) if plan.get("attach") else []
        records[key] = await demo.store.append_stage_record(
            matter.id, record, attachments=attachments
        )
        when += timedelta(days=100 if key == "resolution_publication" else 7)
    fix = plan.get("correct")
    if fix:
        target = records[fix["stage"]]
        demo.at(when + timedelta(days=1))
        corrected = _record(
            demo,
            matter,
            fix["stage"],
            target.held_at or when,
            {fix["stage"]: {"present": 26, "vote": fix["vote"]}},
        )
        await demo.store.correct_record(target.id, corrected, fix["reason"])


async def _supervision(demo: _Demo) -> None:
    chair = demo.roster["supervision_committee"][0].name
    for item in demo.script["supervision"]:
        noted = datetime.combine(date.fromisoformat(item["noted"]), time(10), SHANGHAI)
        matter = demo.matters[item["matter"]].id if item["matter"] else None
        demo.at(noted)
        first = await demo.store.add_supervision(
            SupervisionEntry(item["finding"], chair, noted_at=noted, matter=matter),
        )
        for status, follow_up, day in item["follow_ups"]:
            when = datetime.combine(date.fromisoformat(day), time(10), SHANGHAI)
            demo.at(when)
            entry = SupervisionEntry("", chair, status, follow_up, noted_at=when)
            await demo.store.add_supervision(entry, thread_id=first.id)


async def _ceremonies(demo: _Demo) -> None:
    """Events the weddings-and-funerals council registered; households from outside its roster."""
    registrar = demo.roster["weddings_funerals_council"][1].name
    for n, item in enumerate(demo.script.get("ceremonies", [])):
        held_on = date.fromisoformat(item["held_on"])
        demo.at(datetime.combine(held_on + timedelta(days=1), time(9), SHANGHAI))
        ceremony = Ceremony(
            kind=item["kind"],
            family=demo.people[56 + n % 4],
            held_on=held_on,
            tables=item["tables"],
            cost_per_table=item.get("cost_per_table", 0),
            gift=item.get("gift", 0),
            registered_by=registrar,
            note=item.get("note", ""),
        )
        await demo.store.add_ceremony(ceremony)


async def build_demo(db: Database, script: dict[str, Any] | None = None) -> str:
    """Write the whole demo village into an empty ``db``; returns the village code."""
    script = script or load_script()
    demo = _Demo(db, script, Random(script["seed"]))
    await _organisation(demo)
    for plan in script["matters"]:
        await _matter(demo, plan)
    await _supervision(demo)
    await _ceremonies(demo)
    return demo.code
