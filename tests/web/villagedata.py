"""A small village for the web tests, made through the records store (no fixtures file)."""

from __future__ import annotations

import datetime as dt

import sync
from village_app import repo
from village_app.domain import BodyKind, Matter, Member, StageRecord, Village
from village_app.domain.dates import SHANGHAI
from web.helpers import VILLAGE

ACTOR = repo.Actor("secretary")
SUPERVISORS = ("周监督", "吴监督", "郑监督")


def store(db: sync.Database) -> repo.VillageStore:
    """The test village's store, writing as its secretary."""
    return repo.VillageStore(db, VILLAGE, ACTOR)


async def small_village(db: sync.Database) -> None:
    await store(db).save_village(Village(VILLAGE, "清溪村", "青山镇", "云岭县"))
    start = dt.date(2024, 1, 1)
    seats = [
        Member(BodyKind.PARTY_BRANCH, "李书记", "书记", start, convenor=True),
        Member(BodyKind.VILLAGERS_COMMITTEE, "王主任", "主任", start),
        Member(BodyKind.RESIDENTS_COUNCIL, "陈会长", "会长", start, convenor=True),
        Member(BodyKind.RESIDENTS_COUNCIL, "林委员", "委员", start),
        *(Member(BodyKind.SUPERVISION_COMMITTEE, name, "委员", start) for name in SUPERVISORS),
    ]
    for seat in seats:
        await store(db).add_member(seat)


async def major_matter(db: sync.Database, title: str = "修建村东机耕道") -> Matter:
    matter = Matter(
        kind="major",
        title=title,
        body="",
        year=2026,
        summary="硬化村东机耕道 1.2 公里。",
        category="道路",
    )
    return await store(db).create_matter(matter)


def at(day: int, hour: int = 19) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI)


async def through_consultation(db: sync.Database) -> Matter:
    """A major matter whose first two stages are recorded (the review comes next)."""
    from village_app.domain import Attendance

    matter = await major_matter(db)
    for stage, body, day in (
        ("proposal", "party_branch", 2),
        ("consultation", "two_committees", 5),
    ):
        record = StageRecord(
            matter=matter.id,
            stage=stage,
            body=body,
            held_at=at(day),
            place="村委会议室",
            attendance=Attendance(7, 6),
            content=f"{stage} 内容",
        )
        await store(db).append_stage_record(matter.id, record)
    return matter
