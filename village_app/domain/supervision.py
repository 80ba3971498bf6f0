"""Supervision entries (监督记录) by the village affairs supervision committee.

A finding opens a thread; follow-ups are new entries in the same thread
(``thread`` is the first entry's id) that move its status
open → rectifying → closed. Nothing is edited: like all evidence, a mistake is
fixed with a correction (:mod:`corrections`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from village_app.domain.corrections import Chain, fold_corrections
from village_app.domain.dates import to_shanghai
from village_app.domain.errors import Ineligible, StatusTransition, ValidationError
from village_app.domain.organisation import BodyKind, Member, active_members
from village_app.i18n import N_, Message

STATUSES: tuple[str, ...] = ("open", "rectifying", "closed")
#: Status -> its name (a msgid).
STATUS_NAMES: dict[str, str] = {
    "open": N_("待整改"),
    "rectifying": N_("整改中"),
    "closed": N_("已办结"),
}
_NEXT = {
    "open": {"open", "rectifying", "closed"},
    "rectifying": {"rectifying", "closed"},
    "closed": set(),
}


@dataclass(frozen=True)
class SupervisionEntry:
    finding: str  # 监督发现 (the question raised)
    recorded_by: str  # the supervisor's name
    status: str = "open"
    follow_up: str = ""  # 整改/跟进情况
    noted_at: datetime | None = None
    matter: str | None = None  # the matter it is about, if any
    stage_record: str | None = None  # e.g. an opinion on a publication
    thread: str | None = None  # the first entry's id, for a follow-up
    corrects: str | None = None
    reason: str = ""
    id: str = ""
    created_at: str = ""
    created_by: str = ""


@dataclass(frozen=True)
class SupervisionThread:
    """One finding and its follow-ups, oldest first, each with its corrections folded in."""

    entries: tuple[Chain[SupervisionEntry], ...]

    @property
    def first(self) -> SupervisionEntry:
        return self.entries[0].current

    @property
    def latest(self) -> SupervisionEntry:
        return self.entries[-1].current

    @property
    def status(self) -> str:
        return self.latest.status

    @property
    def id(self) -> str:
        return self.entries[0].root.id

    @property
    def is_open(self) -> bool:
        return self.status != "closed"


def record_supervision(
    entry: SupervisionEntry,
    roster: Sequence[Member],
    thread: SupervisionThread | None = None,
    *,
    today: date | None = None,
) -> SupervisionEntry:
    """Validate a new finding (``thread`` None) or a follow-up in ``thread``."""
    if entry.status not in STATUSES:
        raise ValidationError(N_("状态不正确"), field="status")
    if entry.noted_at is not None:
        entry = replace(entry, noted_at=to_shanghai(entry.noted_at))
    day = entry.noted_at.date() if entry.noted_at else (today or date.today())
    supervisors = active_members(roster, BodyKind.SUPERVISION_COMMITTEE, day)
    name = entry.recorded_by.strip()
    if not name:
        raise ValidationError(N_("请填写记录人"), field="recorded_by")
    if name not in {m.name for m in supervisors}:
        raise Ineligible(
            N_("%(name)s不是村务监督委员会的在任成员，不能记录监督意见"),
            {"name": name},
            field="recorded_by",
        )
    if thread is None:
        if not entry.finding.strip():
            raise ValidationError(N_("请填写监督发现的问题"), field="finding")
        return replace(entry, recorded_by=name, finding=entry.finding.strip(), thread=None)
    if entry.status not in _NEXT[thread.status]:
        raise StatusTransition(
            N_("此监督事项已%(current)s，不能改为%(wanted)s"),
            {
                "current": Message(STATUS_NAMES[thread.status]),
                "wanted": Message(STATUS_NAMES[entry.status]),
            },
            field="status",
            ids=[thread.id],
        )
    if not entry.follow_up.strip():
        raise ValidationError(N_("请填写跟进情况"), field="follow_up")
    return replace(
        entry,
        recorded_by=name,
        follow_up=entry.follow_up.strip(),
        finding=entry.finding.strip() or thread.first.finding,
        thread=thread.id,
        matter=entry.matter or thread.first.matter,
    )


def fold_supervision(entries: Sequence[SupervisionEntry]) -> list[SupervisionThread]:
    """Group entries into threads (newest activity last), corrections folded in."""
    chains = fold_corrections(entries)
    by_thread: dict[str, list[Chain[SupervisionEntry]]] = {}
    root_of = {r.id: chain.root.id for chain in chains for r in chain.versions}
    order: list[str] = []
    for chain in chains:
        key = (
            root_of.get(chain.root.thread or "", chain.root.id)
            if chain.root.thread
            else chain.root.id
        )
        if key not in by_thread:
            by_thread[key] = []
            order.append(key)
        by_thread[key].append(chain)
    threads = [SupervisionThread(tuple(by_thread[k])) for k in order]
    threads.sort(key=lambda t: (t.latest.created_at, t.latest.id))
    return threads
