"""A laptop's village for the sync tests, written as the village's county account (the name
the secretary signs in with on the laptop is the name the county knows: ``created_by`` must
be it, or the county refuses the record), and a county review of one of its matters."""

from __future__ import annotations

import datetime as dt
import os

import sync
from sync.couch_server import CouchServer
from village_app import repo
from village_app.domain import Attendance, BodyKind, Matter, Member, StageRecord, Village
from village_app.domain.dates import SHANGHAI
from village_app.domain.reviews import RETURNED, Review
from village_app.repo.docs.reviews import review_to_doc

VILLAGE = "330102001001"
#: A PNG header and incompressible bytes: a scan as the link sees one.
SCAN_HEAD = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
)


def scan(size: int) -> bytes:
    return SCAN_HEAD + os.urandom(size)


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, 19, 0, tzinfo=SHANGHAI)


def store(db: sync.Database, account: str) -> repo.VillageStore:
    return repo.VillageStore(db, VILLAGE, repo.Actor(account))


async def village(
    db: sync.Database, account: str, *, scans: int = 1, scan_size: int = 2000
) -> Matter:
    """The village, a few seats, and a major matter through its first two stages, each
    stage record with ``scans`` scans of ``scan_size`` bytes."""
    s = store(db, account)
    await s.save_village(Village(VILLAGE, "清溪村", "青山镇", "云岭县"))
    start = dt.date(2024, 1, 1)
    for seat in (
        Member(BodyKind.PARTY_BRANCH, "李书记", "书记", start, convenor=True),
        Member(BodyKind.VILLAGERS_COMMITTEE, "王主任", "主任", start),
        Member(BodyKind.RESIDENTS_COUNCIL, "陈会长", "会长", start, convenor=True),
    ):
        await s.add_member(seat)
    matter = await s.create_matter(
        Matter(
            kind="major",
            title="修建村东机耕道",
            body="",
            year=2026,
            summary="硬化村东机耕道。",
            category="道路",
        )
    )
    for stage, body, day in (
        ("proposal", "party_branch", 2),
        ("consultation", "two_committees", 5),
    ):
        record = await s.append_stage_record(
            matter.id,
            StageRecord(
                matter=matter.id,
                stage=stage,
                body=body,
                held_at=at(day),
                place="村委会议室",
                attendance=Attendance(7, 6),
                content=f"{stage} 内容",
            ),
        )
        for k in range(scans):
            await s.add_attachment(record.id, f"签到表{k}.png", scan(scan_size))
    return matter


async def more_matters(
    db: sync.Database, account: str, n: int, *, title: str = "村务事项"
) -> list[Matter]:
    s = store(db, account)
    return [
        await s.create_matter(
            Matter(
                kind="major",
                title=f"{title}{i}",
                body="",
                year=2026,
                summary="内容",
                category="其他",
            )
        )
        for i in range(n)
    ]


async def return_matter(
    couch_url: str, dbname: str, matter_id: str, reviewer: str, comment: str
) -> str:
    """A township reviewer's 退回 of ``matter_id``, written into the county's database."""
    doc = review_to_doc(VILLAGE, Review(matter_id, RETURNED, comment), repo.Actor(reviewer))
    async with CouchServer(couch_url) as server:
        db = await server.database(dbname, create=False)
        try:
            result = await db.put(doc)
        finally:
            await db.close()
    return str(result["id"])
