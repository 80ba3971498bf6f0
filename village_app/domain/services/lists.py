"""The two lists and what is made of them: social organisations and their resource lists
(the county keeps them), the needs a village finds on its home visits, the matching of the
two into service projects, and the pairing of an organisation with a village (结对共建).

Who reads what: a need names a vulnerable person. Its personal part (:class:`NeedPerson`)
never leaves the laptop readable: the store seals it (AES-GCM, a key in the data folder)
before it is written, so the county, which matches needs to resources, works from the rest
(the group, the categories, what is needed, how many people, when it was found) and never
sees a name. The village introduces the organisation's volunteers to the households itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.services.vocab import (
    HEART_OF_GROUP,
    HELP_CATEGORIES,
    KEY_GROUPS,
    ORG_KINDS,
    PROJECT_STATUSES,
    SERVICE_KINDS,
)
from village_app.i18n import N_, Message

#: Longest short text (a name, a title, a place) and longest free text.
MAX_SHORT: Final = 100
MAX_TEXT: Final = 2000
#: More people than this in one need, or one service, is a typing slip.
MAX_PEOPLE: Final = 100_000


def _short(problems: Problems, value: str, name: str, label: str, *, required: bool) -> None:
    if required and not value.strip():
        problems.add(ValidationError(N_("请填写%(label)s"), {"label": Message(label)}, field=name))
    elif len(value) > MAX_SHORT:
        problems.add(
            ValidationError(
                N_("%(label)s过长（最多 %(n)s 字）"),
                {"label": Message(label), "n": MAX_SHORT},
                field=name,
            )
        )


def _long(problems: Problems, value: str, name: str) -> None:
    if len(value) > MAX_TEXT:
        problems.add(ValidationError(N_("内容过长（最多 2000 字）"), field=name))


def _keys(problems: Problems, keys: Iterable[str], known: Mapping[str, str], name: str) -> None:
    if any(k not in known for k in keys):
        problems.add(ValidationError(N_("选项不正确，请重新选择"), field=name))


def _count(problems: Problems, value: int, name: str, label: str, *, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_PEOPLE:
        problems.add(
            ValidationError(
                N_("%(label)s应为 %(min)s 到 %(max)s 之间的整数"),
                {"label": Message(label), "min": minimum, "max": MAX_PEOPLE},
                field=name,
            )
        )


# -- organisations -----------------------------------------------------------------------
@dataclass(frozen=True)
class Organisation:
    """A social organisation, under its sector's party committee (社会组织综合/行业党委)."""

    name: str
    kind: str  # ORG_KINDS
    sector: str  # the party committee it is grouped under
    contact: str = ""  # a person to call (the organisation's, not a villager's)
    phone: str = ""
    note: str = ""
    id: str = ""
    rev: str | None = None
    created_at: str = ""
    created_by: str = ""

    @property
    def ref(self) -> OrgRef:
        return OrgRef(self.id, self.name, self.sector, self.kind)


@dataclass(frozen=True)
class OrgRef:
    """What a resource, project or pairing carries of its organisation (a copy: the village
    holds no organisation documents)."""

    id: str
    name: str
    sector: str = ""
    kind: str = ""


def validate_organisation(org: Organisation) -> Organisation:
    problems = Problems()
    _short(problems, org.name, "name", N_("组织名称"), required=True)
    _short(problems, org.sector, "sector", N_("所属党委"), required=True)
    _keys(problems, [org.kind], ORG_KINDS, "kind")
    _short(problems, org.contact, "contact", N_("联系人"), required=False)
    _short(problems, org.phone, "phone", N_("联系电话"), required=False)
    _long(problems, org.note, "note")
    problems.raise_any()
    return replace(org, name=org.name.strip(), sector=org.sector.strip())


def by_sector(orgs: Iterable[Organisation]) -> list[tuple[str, list[Organisation]]]:
    """Organisations grouped under their party committee, both in name order."""
    groups: dict[str, list[Organisation]] = {}
    for org in orgs:
        groups.setdefault(org.sector, []).append(org)
    return [(s, sorted(groups[s], key=lambda o: o.name)) for s in sorted(groups)]


# -- the resource list -------------------------------------------------------------------
@dataclass(frozen=True)
class Resource:
    """One entry of an organisation's resource list: what, for whom, where, how often, for
    how many, and the area it covers."""

    organisation: OrgRef
    title: str  # what
    kind: str  # SERVICE_KINDS
    categories: tuple[str, ...] = ()  # HELP_CATEGORIES (五助一扶)
    groups: tuple[str, ...] = ()  # KEY_GROUPS it is for (none: everyone)
    place: str = ""  # where, or how (上门、村委会、线上)
    frequency: str = ""  # how often (每月一次)
    capacity: int = 0  # people each time (0: not limited)
    #: The townships it covers (3-digit codes); none: the whole county.
    townships: tuple[str, ...] = ()
    description: str = ""
    active: bool = True
    id: str = ""
    rev: str | None = None
    created_at: str = ""
    created_by: str = ""
    #: Every edit of the entry, oldest first (who changed what, when), as a roster's seat
    #: keeps its edits: what the list offered before stays readable. The master's only.
    history: tuple[ResourceChange, ...] = ()

    @property
    def key(self) -> str:
        """The ULID shared by the master and every village's copy."""
        return self.id.rsplit(":", 1)[-1]

    def covers(self, township: str) -> bool:
        return not self.townships or township in self.townships


@dataclass(frozen=True)
class ResourceChange:
    """One edit of a resource entry: when (a UTC stamp), by whom, and each field's value
    before and after as stored (keys and codes joined by commas, ``"yes"``/``""`` for a flag)."""

    at: str
    by: str
    changes: tuple[tuple[str, str, str], ...]


#: What an edit of an entry may change, and what each field is called (msgids).
RESOURCE_FIELDS: Final[dict[str, str]] = {
    "title": N_("服务内容"),
    "kind": N_("服务类别"),
    "categories": N_("五助一扶"),
    "groups": N_("服务对象"),
    "place": N_("服务地点或方式"),
    "frequency": N_("服务频次"),
    "capacity": N_("每次服务人数"),
    "townships": N_("覆盖乡镇"),
    "description": N_("说明"),
    "active": N_("是否提供"),
}


def _resource_value(resource: Resource, name: str) -> str:
    value = getattr(resource, name)
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value).strip()


def resource_changes(old: Resource, new: Resource) -> tuple[tuple[str, str, str], ...]:
    """What an edit changes: ``(field, before, after)`` for each field of
    :data:`RESOURCE_FIELDS` that differs."""
    return tuple(
        (name, _resource_value(old, name), _resource_value(new, name))
        for name in RESOURCE_FIELDS
        if _resource_value(old, name) != _resource_value(new, name)
    )


def validate_resource(resource: Resource) -> Resource:
    problems = Problems()
    if not resource.organisation.id:
        problems.add(ValidationError(N_("请选择社会组织"), field="organisation"))
    _short(problems, resource.title, "title", N_("服务内容"), required=True)
    if resource.kind not in SERVICE_KINDS:
        problems.add(ValidationError(N_("请选择服务类别"), field="kind"))
    _keys(problems, resource.categories, HELP_CATEGORIES, "categories")
    _keys(problems, resource.groups, KEY_GROUPS, "groups")
    _short(problems, resource.place, "place", N_("服务地点或方式"), required=False)
    _short(problems, resource.frequency, "frequency", N_("服务频次"), required=True)
    _count(problems, resource.capacity, "capacity", N_("每次服务人数"))
    if any(not (len(t) == 3 and t.isascii() and t.isdigit()) for t in resource.townships):
        problems.add(ValidationError(N_("选项不正确，请重新选择"), field="townships"))
    _long(problems, resource.description, "description")
    problems.raise_any()
    return replace(
        resource,
        title=resource.title.strip(),
        categories=_ordered(resource.categories, HELP_CATEGORIES),
        groups=_ordered(resource.groups, KEY_GROUPS),
        townships=tuple(sorted(set(resource.townships))),
    )


def _ordered(keys: Iterable[str], known: Mapping[str, str]) -> tuple[str, ...]:
    """The keys once each, in the vocabulary's order."""
    wanted = set(keys)
    return tuple(k for k in known if k in wanted)


# -- needs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class NeedPerson:
    """Who needs it: the part of a need that is sealed before it is stored."""

    name: str
    address: str = ""
    phone: str = ""
    notes: str = ""  # circumstances (health, family): as sensitive as the name


#: What can be known of a need's person where it is read.
PERSON_CLEAR: Final = "clear"  # read (on the laptop that holds the key)
PERSON_SEALED: Final = "sealed"  # sealed, and no key here (the county)
PERSON_BROKEN: Final = "broken"  # sealed with another key, or altered


@dataclass(frozen=True)
class Need:
    """A need found on a home visit. Everything here but :attr:`person` is what the county
    sees: write the need without names (the form says so)."""

    group: str  # KEY_GROUPS
    summary: str  # what is needed, without names
    visited_on: date
    categories: tuple[str, ...] = ()  # HELP_CATEGORIES
    kind: str = ""  # SERVICE_KINDS ("" not known)
    people: int = 1
    visited_by: str = ""  # the party member who visited
    person: NeedPerson | None = None
    person_status: str = PERSON_CLEAR
    #: The resource (a village copy's id) the village proposes for it.
    proposed_resource: str | None = None
    closed: bool = False  # no longer needed (moved away, solved otherwise)
    closed_reason: str = ""
    id: str = ""
    rev: str | None = None
    created_at: str = ""
    created_by: str = ""

    @property
    def heart(self) -> str:
        return HEART_OF_GROUP.get(self.group, "close")


def validate_need(need: Need, problems: Problems | None = None) -> Need:
    """Every field's error at once (with those already in ``problems``)."""
    problems = problems if problems is not None else Problems()
    if need.group not in KEY_GROUPS:
        problems.add(ValidationError(N_("请选择走访对象类别"), field="group"))
    _keys(problems, need.categories, HELP_CATEGORIES, "categories")
    if need.kind and need.kind not in SERVICE_KINDS:
        problems.add(ValidationError(N_("选项不正确，请重新选择"), field="kind"))
    _short(problems, need.summary, "summary", N_("需求内容"), required=True)
    _count(problems, need.people, "people", N_("涉及人数"), minimum=1)
    _short(problems, need.visited_by, "visited_by", N_("走访人"), required=True)
    if need.person is not None:
        _short(problems, need.person.name, "person_name", N_("姓名"), required=True)
        _short(problems, need.person.address, "address", N_("住址"), required=False)
        _short(problems, need.person.phone, "phone", N_("联系电话"), required=False)
        _long(problems, need.person.notes, "notes")
    _long(problems, need.closed_reason, "closed_reason")
    problems.raise_any()
    return replace(
        need,
        summary=need.summary.strip(),
        categories=_ordered(need.categories, HELP_CATEGORIES),
        visited_by=need.visited_by.strip(),
    )


# -- matching --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    resource: Resource
    score: int
    #: Why it fits, as keys: "kind", "category:<key>", "group".
    reasons: tuple[str, ...]


def match_score(need: Need, resource: Resource, township: str) -> Suggestion | None:
    """How well ``resource`` fits ``need`` of a village in ``township`` (3 digits), or
    ``None`` when it cannot serve it at all (withdrawn, another area, another group)."""
    if not resource.active or not resource.covers(township):
        return None
    if resource.groups and need.group not in resource.groups and need.group != "residents":
        return None
    score, reasons = 0, []
    if need.kind and need.kind == resource.kind:
        score += 3
        reasons.append("kind")
    for category in need.categories:
        if category in resource.categories:
            score += 2
            reasons.append(f"category:{category}")
    if need.group in resource.groups:
        score += 2
        reasons.append("group")
    if score == 0:
        return None
    return Suggestion(resource, score, tuple(reasons))


def suggest(need: Need, resources: Iterable[Resource], township: str) -> list[Suggestion]:
    """The resources that could serve ``need``, best first (then by title)."""
    found = [s for r in resources if (s := match_score(need, r, township)) is not None]
    return sorted(found, key=lambda s: (-s.score, s.resource.title, s.resource.id))


# -- projects ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Project:
    """A service project: needs of one village matched to a resource (服务项目清单)."""

    title: str
    resource_id: str  # the village copy of the resource
    organisation: OrgRef
    kind: str
    starts_on: date
    need_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    schedule: str = ""  # how often it serves (每月第一个周六)
    ends_on: date | None = None
    status: str = "active"
    note: str = ""
    #: Why it ended (ended ones only: the organisation left, the needs were met).
    ended_reason: str = ""
    id: str = ""
    rev: str | None = None
    created_at: str = ""
    created_by: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active"


class MatchRefused(ValidationError):
    """Needs and a resource that cannot make a project (a closed need, a withdrawn resource,
    one from another area)."""

    code = "match_refused"


def make_project(
    needs: Sequence[Need],
    resource: Resource,
    *,
    township: str,
    starts_on: date,
    title: str = "",
    schedule: str = "",
    note: str = "",
) -> Project:
    """Match ``needs`` (of one village, in ``township``) to ``resource``: the project the
    county writes into the village's database."""
    problems = Problems()
    if not needs:
        problems.add(MatchRefused(N_("请至少选择一项需求"), field="need_ids"))
    closed = [n.id for n in needs if n.closed]
    if closed:
        problems.add(MatchRefused(N_("已关闭的需求不能再建立项目"), field="need_ids", ids=closed))
    if not resource.active:
        problems.add(
            MatchRefused(N_("这项服务资源已停止提供"), field="resource", ids=[resource.id])
        )
    elif not resource.covers(township):
        problems.add(
            MatchRefused(N_("这项服务资源不覆盖该村所在乡镇"), field="resource", ids=[resource.id])
        )
    _short(problems, title, "title", N_("项目名称"), required=False)
    _short(problems, schedule, "schedule", N_("服务安排"), required=False)
    _long(problems, note, "note")
    problems.raise_any()
    categories = _ordered(
        [c for n in needs for c in n.categories] + list(resource.categories), HELP_CATEGORIES
    )
    return Project(
        title=title.strip() or resource.title,
        resource_id=resource.id,
        organisation=resource.organisation,
        kind=resource.kind,
        starts_on=starts_on,
        need_ids=tuple(dict.fromkeys(n.id for n in needs)),
        categories=categories,
        schedule=schedule.strip() or resource.frequency,
        note=note,
    )


def validate_project(project: Project) -> Project:
    problems = Problems()
    _short(problems, project.title, "title", N_("项目名称"), required=True)
    if project.status not in PROJECT_STATUSES:
        problems.add(ValidationError(N_("选项不正确，请重新选择"), field="status"))
    if project.ends_on is not None and project.ends_on < project.starts_on:
        problems.add(ValidationError(N_("结束日期不能早于开始日期"), field="ends_on"))
    problems.raise_any()
    return project


def matched_need_ids(projects: Iterable[Project]) -> set[str]:
    """Needs some project serves (or served): a need is matched by the projects themselves,
    never by a flag copied onto it."""
    return {i for p in projects for i in p.need_ids}


def unmatched(needs: Iterable[Need], projects: Iterable[Project]) -> list[Need]:
    """Open needs no project serves yet, oldest visit first."""
    matched = matched_need_ids(projects)
    return sorted(
        (n for n in needs if not n.closed and n.id not in matched),
        key=lambda n: (n.visited_on, n.id),
    )


# -- pairing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pairing:
    """结对共建: an organisation paired with a village, serving on a schedule."""

    organisation: OrgRef
    since: date
    schedule: str = ""  # 每月一次
    content: str = ""  # what they do together
    ended_on: date | None = None
    ended_reason: str = ""
    id: str = ""
    rev: str | None = None
    created_at: str = ""
    created_by: str = ""

    @property
    def active(self) -> bool:
        return self.ended_on is None


def validate_pairing(pairing: Pairing, existing: Iterable[Pairing] = ()) -> Pairing:
    """A pairing; an organisation already paired with the village (and not ended) is not
    paired twice."""
    problems = Problems()
    if not pairing.organisation.id:
        problems.add(ValidationError(N_("请选择社会组织"), field="organisation"))
    elif any(
        p.active and p.organisation.id == pairing.organisation.id and p.id != pairing.id
        for p in existing
    ):
        problems.add(
            ValidationError(
                N_("%(name)s已与该村结对"),
                {"name": pairing.organisation.name},
                field="organisation",
            )
        )
    _short(problems, pairing.schedule, "schedule", N_("共建安排"), required=True)
    _long(problems, pairing.content, "content")
    if pairing.ended_on is not None and pairing.ended_on < pairing.since:
        problems.add(ValidationError(N_("结束日期不能早于开始日期"), field="ended_on"))
    problems.raise_any()
    return pairing


# -- ending ------------------------------------------------------------------------------------
class AlreadyEnded(ValidationError):
    """A project or pairing that has ended already (its end stands as recorded)."""

    code = "already_ended"
    status = 409


def _end_checks(
    problems: Problems, started: date, ended_on: date | None, reason: str, ended: bool, docid: str
) -> None:
    if ended:
        problems.add(AlreadyEnded(N_("已经结束，不能再结束一次"), ids=[docid]))
        return
    if ended_on is None:
        problems.add(ValidationError(N_("请填写结束日期"), field="ended_on"))
    elif ended_on < started:
        problems.add(ValidationError(N_("结束日期不能早于开始日期"), field="ended_on"))
    if not reason.strip():
        problems.add(ValidationError(N_("请写明结束原因"), field="ended_reason"))
    _long(problems, reason, "ended_reason")


def end_project(
    project: Project, ended_on: date | None, reason: str, problems: Problems | None = None
) -> Project:
    """The project ended on ``ended_on`` for ``reason``: shown as ended, no longer served
    (a service after that day is refused), still counted for the years it ran."""
    problems = problems if problems is not None else Problems()
    _end_checks(problems, project.starts_on, ended_on, reason, not project.active, project.id)
    problems.raise_any()
    assert ended_on is not None
    return replace(project, status="ended", ends_on=ended_on, ended_reason=reason.strip())


def end_pairing(
    pairing: Pairing, ended_on: date | None, reason: str, problems: Problems | None = None
) -> Pairing:
    """结对共建 ended on ``ended_on`` for ``reason``: the organisation may be paired with the
    village again later (a new pairing)."""
    problems = problems if problems is not None else Problems()
    _end_checks(problems, pairing.since, ended_on, reason, not pairing.active, pairing.id)
    problems.raise_any()
    assert ended_on is not None
    return replace(pairing, ended_on=ended_on, ended_reason=reason.strip())


def served_after_end(ends_on: date | None, day: date) -> bool:
    """A service on ``day`` of a project (or pairing) that ended on ``ends_on`` before it."""
    return ends_on is not None and day > ends_on
