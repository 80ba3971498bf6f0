"""What the village keeps of the service done: each service delivered (a project's or a
pairing's), the public-service posts (公益岗位), who holds them (认领岗位) and their duty log.

Service and duty logs are evidence, like stage records: never edited; a mistake is corrected
by a new entry that names the one it replaces (``corrects``) and says why, and the figures
count the corrected entry only (:func:`effective`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final, Protocol, TypeVar

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.services.lists import _count, _long, _short
from village_app.domain.services.vocab import BUILTIN_POST_DUTIES, BUILTIN_POSTS, HOLDER_KINDS
from village_app.i18n import N_

#: More volunteer hours than this in one entry is a typing slip (a year of full days).
MAX_HOURS: Final = 100_000.0


def _hours(problems: Problems, value: float, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_HOURS:
        problems.add(ValidationError(N_("时长应为 0 到 100000 之间的数（小时）"), field=name))


def _correction(problems: Problems, corrects: str | None, reason: str) -> None:
    if corrects and not reason.strip():
        problems.add(ValidationError(N_("更正时请写明原因"), field="reason"))


class _Entry(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def corrects(self) -> str | None: ...


E = TypeVar("E", bound=_Entry)


def effective(entries: Iterable[E]) -> list[E]:
    """The entries that stand: each one no later entry corrects (in the order given)."""
    found = list(entries)
    corrected = {e.corrects for e in found if e.corrects}
    return [e for e in found if e.id not in corrected]


# -- services delivered -------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceLog:
    """One service delivered: on what day, what was done, for how many people, by how many
    volunteers over how many hours (all volunteers together)."""

    served_on: date
    what: str
    people_served: int
    volunteers: int = 0
    volunteer_hours: float = 0.0
    project_id: str | None = None
    pairing_id: str | None = None  # a pairing's activity, when not a project's
    place: str = ""
    corrects: str | None = None
    reason: str = ""
    id: str = ""
    created_at: str = ""
    created_by: str = ""


def validate_service_log(log: ServiceLog, problems: Problems | None = None) -> ServiceLog:
    problems = problems if problems is not None else Problems()
    if bool(log.project_id) == bool(log.pairing_id):
        problems.add(ValidationError(N_("请选择服务项目或结对单位"), field="project_id"))
    _short(problems, log.what, "what", N_("服务内容"), required=True)
    _short(problems, log.place, "place", N_("服务地点"), required=False)
    _count(problems, log.people_served, "people_served", N_("服务人数"))
    _count(problems, log.volunteers, "volunteers", N_("志愿者人数"))
    _hours(problems, log.volunteer_hours, "volunteer_hours")
    _correction(problems, log.corrects, log.reason)
    problems.raise_any()
    return replace(log, what=log.what.strip(), volunteer_hours=round(float(log.volunteer_hours), 1))


@dataclass(frozen=True)
class ServiceTotals:
    services: int = 0
    people_served: int = 0
    volunteers: int = 0
    volunteer_hours: float = 0.0

    def add(self, log: ServiceLog) -> ServiceTotals:
        return ServiceTotals(
            self.services + 1,
            self.people_served + log.people_served,
            self.volunteers + log.volunteers,
            round(self.volunteer_hours + log.volunteer_hours, 1),
        )


def service_totals(logs: Iterable[ServiceLog]) -> ServiceTotals:
    """The standing entries added up."""
    totals = ServiceTotals()
    for log in effective(logs):
        totals = totals.add(log)
    return totals


# -- public-service posts -------------------------------------------------------------------
@dataclass(frozen=True)
class Post:
    """A public-service post: one of the six named ones (``key``) or one the village added."""

    name: str
    duties: str = ""
    key: str = ""  # BUILTIN_POSTS key, "" for a village's own
    retired: bool = False  # no longer kept (a village's own post; named ones stay)
    id: str = ""
    rev: str | None = None
    created_at: str = ""
    created_by: str = ""

    @property
    def builtin(self) -> bool:
        return bool(self.key)


def builtin_posts(village: str) -> list[Post]:
    """The six named posts as they stand before the village writes anything about them (ids
    ``service_post:<village>:<key>``, the document the first edit makes)."""
    return [
        Post(name, BUILTIN_POST_DUTIES[key], key, id=f"service_post:{village}:{key}")
        for key, name in BUILTIN_POSTS.items()
    ]


def posts_of(village: str, stored: Iterable[Post]) -> list[Post]:
    """The village's posts: the six named ones (as stored, when edited) then its own, oldest
    first; retired ones left out."""
    by_id = {p.id: p for p in stored}
    named = [by_id.pop(p.id, p) for p in builtin_posts(village)]
    own = sorted(by_id.values(), key=lambda p: (p.created_at, p.id))
    return [p for p in named + own if not p.retired]


def validate_post(post: Post, existing: Iterable[Post] = ()) -> Post:
    problems = Problems()
    _short(problems, post.name, "name", N_("岗位名称"), required=True)
    _long(problems, post.duties, "duties")
    name = post.name.strip()
    if name and any(p.name == name and p.id != post.id for p in existing):
        problems.add(ValidationError(N_("已有同名岗位：%(name)s"), {"name": name}, field="name"))
    problems.raise_any()
    return replace(post, name=name, duties=post.duties.strip())


@dataclass(frozen=True)
class Claim:
    """认领岗位: a party member or volunteer holds a post from a day (until a day)."""

    post_id: str
    holder: str
    holder_kind: str  # HOLDER_KINDS
    since: date
    ended_on: date | None = None
    id: str = ""
    rev: str | None = None
    created_at: str = ""
    created_by: str = ""

    def active_on(self, day: date) -> bool:
        return self.since <= day and (self.ended_on is None or day <= self.ended_on)


def validate_claim(claim: Claim, claims: Iterable[Claim] = ()) -> Claim:
    """A claim; the same person holding the same post twice at once is refused."""
    problems = Problems()
    _short(problems, claim.holder, "holder", N_("认领人"), required=True)
    if claim.holder_kind not in HOLDER_KINDS:
        problems.add(ValidationError(N_("请选择党员或志愿者"), field="holder_kind"))
    if claim.ended_on is not None and claim.ended_on < claim.since:
        problems.add(ValidationError(N_("结束日期不能早于开始日期"), field="ended_on"))
    holder = claim.holder.strip()
    if any(
        c.post_id == claim.post_id
        and c.holder == holder
        and c.ended_on is None
        and c.id != claim.id
        for c in claims
    ):
        problems.add(
            ValidationError(N_("%(name)s已认领这个岗位"), {"name": holder}, field="holder")
        )
    problems.raise_any()
    return replace(claim, holder=holder)


def holders(post: Post, claims: Sequence[Claim], day: date) -> list[Claim]:
    """Who holds ``post`` on ``day``, in the order they claimed it."""
    return sorted(
        (c for c in claims if c.post_id == post.id and c.active_on(day)),
        key=lambda c: (c.since, c.id),
    )


@dataclass(frozen=True)
class DutyLog:
    """One duty a post holder did."""

    post_id: str
    holder: str
    done_on: date
    what: str
    hours: float = 0.0
    corrects: str | None = None
    reason: str = ""
    id: str = ""
    created_at: str = ""
    created_by: str = ""


def validate_duty_log(
    log: DutyLog, claims: Sequence[Claim], problems: Problems | None = None
) -> DutyLog:
    """A duty entry; its holder must hold the post on that day."""
    problems = problems if problems is not None else Problems()
    _short(problems, log.what, "what", N_("履职内容"), required=True)
    _hours(problems, log.hours, "hours")
    _correction(problems, log.corrects, log.reason)
    holder = log.holder.strip()
    if not holder:
        problems.add(ValidationError(N_("请选择履职人"), field="holder"))
    elif not any(
        c.post_id == log.post_id and c.holder == holder and c.active_on(log.done_on) for c in claims
    ):
        problems.add(
            ValidationError(
                N_("%(name)s在这一天没有认领这个岗位"), {"name": holder}, field="holder"
            )
        )
    problems.raise_any()
    return replace(log, holder=holder, what=log.what.strip(), hours=round(float(log.hours), 1))
