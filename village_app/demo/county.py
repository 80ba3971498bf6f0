"""Villages in bulk: a village's documents made at once, for the county's benchmark and tests.

:mod:`village_app.demo.build` plays one village through the store, form by form,
which is right for one village and far too slow for three hundred. Here the same
kinds of documents come out of the same document functions
(:mod:`village_app.repo.docs`), each stage record checked by the domain
(:func:`~village_app.domain.record_stage`: order, quorum, majority), ready for one
``bulk_docs``. Everything is drawn from ``Random(seed)``: the same arguments make
the same documents.

A village gets its profile, its supervision committee, ``matters`` matters (about
three in five major) each carried through a random number of its stages, about
half of the published ones late, and a supervision thread on about one matter in
ten, a third of them closed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from village_app.domain import (
    COUNCIL_STAGES,
    MAJOR_STAGES,
    SHANGHAI,
    Attendance,
    BodyKind,
    Matter,
    Member,
    Publication,
    StageRecord,
    SupervisionEntry,
    Village,
    Vote,
    record_stage,
)
from village_app.domain.procedure import current_stage_key
from village_app.repo import Actor, docs

Doc = dict[str, Any]

_TITLES = (
    "硬化村东机耕道",
    "修缮村小学围墙",
    "安装村道路灯",
    "疏浚村前水塘",
    "修订村规民约",
    "集体林地承包续签",
    "建设村级光伏电站",
    "改造村文化礼堂",
    "设立村困难群众互助金",
    "整治村西垃圾点",
)
_COUNCILS = (
    BodyKind.RESIDENTS_COUNCIL,
    BodyKind.WEDDINGS_FUNERALS_COUNCIL,
    BodyKind.WORTHIES_ASSOCIATION,
)
_SUPERVISORS = ("周监督", "吴监督", "郑监督")


@dataclass
class _Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def _meeting(rng: Random, spec_vote: bool) -> tuple[Attendance, Vote | None]:
    expected = rng.randrange(20, 40)
    present = expected - rng.randrange(0, 4)
    if not spec_vote:
        return Attendance(expected, present), None
    against, abstain = rng.randrange(0, 3), rng.randrange(0, 2)
    return Attendance(expected, present), Vote(present - against - abstain, against, abstain)


def village_docs(
    code: str,
    *,
    matters: int,
    seed: int = 0,
    until: datetime | None = None,
    name: str = "",
    township: str = "",
) -> list[Doc]:
    """Every document of one village, oldest first; the newest is dated before ``until``
    (default: 1 December 2026, Shanghai)."""
    rng = Random(f"{seed}:{code}")
    end = until or datetime(2026, 12, 1, tzinfo=SHANGHAI)
    clock = _Clock(end - timedelta(days=400))
    actor = Actor("secretary", clock, rng)
    out: list[Doc] = [
        docs.village_to_doc(Village(code, name or f"村{code[-3:]}", township, "青禾县"), actor)
    ]
    for person in _SUPERVISORS:
        member = Member(BodyKind.SUPERVISION_COMMITTEE, person, "委员", date(2024, 1, 1))
        out.extend(docs.member_to_docs(code, member, actor))
    span = timedelta(days=360) / max(matters, 1)
    for n in range(matters):
        clock.now = end - timedelta(days=400) + span * n
        out.extend(_matter_docs(code, n, rng, actor, clock, end))
    return out


def _matter_docs(
    code: str, n: int, rng: Random, actor: Actor, clock: _Clock, end: datetime
) -> list[Doc]:
    major = rng.random() < 0.6
    title = f"{_TITLES[n % len(_TITLES)]}（{n + 1}）"
    body = BodyKind.PARTY_BRANCH if major else rng.choice(_COUNCILS)
    start = clock.now
    matter = Matter(
        kind="major" if major else "council",
        title=title,
        body=str(body),
        year=start.year,
        summary=f"{title}：方案、预算与实施安排。",
        category="公共事务",
    )
    matter_doc = docs.matter_to_doc(code, matter, actor)
    matter = replace(matter, id=matter_doc["_id"], village=code)
    out = [matter_doc]
    specs = MAJOR_STAGES if major else COUNCIL_STAGES
    steps = rng.randrange(0, len(specs) + 1)
    history: list[StageRecord] = []
    when = start + timedelta(days=1)
    for spec in specs[:steps]:
        if spec.key in ("resolution_publication", "council_publication"):
            # about half published in time, the others late
            when += timedelta(days=rng.choice((2, 5, 20, 120)))
        else:
            when += timedelta(days=rng.randrange(3, 11))
        if when >= end:
            break
        clock.now = when + timedelta(hours=1)
        if spec.publication:
            record = StageRecord(
                matter=matter.id,
                stage=spec.key,
                publication=Publication(f"关于“{title}”的公告", "村务公开栏", when),
                content=f"{title}：公开内容。",
            )
        else:
            attendance, vote = _meeting(rng, spec.vote) if spec.meeting else (None, None)
            record = StageRecord(
                matter=matter.id,
                stage=spec.key,
                body=spec.allowed_bodies(matter.body)[0],
                held_at=when,
                place="村委会会议室",
                attendance=attendance,
                vote=vote,
                content=f"{title}：{spec.key}。",
            )
        checked = record_stage(matter, history, record)
        out.append(docs.stage_record_to_doc(code, matter, checked, actor))
        history.append(replace(checked, id=out[-1]["_id"], created_at=out[-1]["created_at"]))
    matter_doc["stage"] = current_stage_key(matter.procedure, [r.stage for r in history])
    if rng.random() < 0.1:
        out.extend(_thread(code, matter.id, rng, actor, clock, when))
    return out


def _thread(
    code: str, matter_id: str, rng: Random, actor: Actor, clock: _Clock, when: datetime
) -> list[Doc]:
    clock.now = when + timedelta(days=1)
    who = rng.choice(_SUPERVISORS)
    first = docs.supervision_to_doc(
        code,
        SupervisionEntry("公开内容未附预算明细", who, noted_at=clock.now, matter=matter_id),
        actor,
    )
    if rng.random() >= 1 / 3:
        return [first]
    clock.now += timedelta(days=5)
    follow_up = SupervisionEntry(
        "", who, "closed", "已补充公开预算明细", noted_at=clock.now, thread=first["_id"]
    )
    return [first, docs.supervision_to_doc(code, follow_up, actor)]
