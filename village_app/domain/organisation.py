"""The village and its bodies: the core, the councils, supervision, the two committees.

A :class:`Member` is one person's seat on one body for one term. Private details
(phone, close relatives) travel with the dataclass so the eligibility rule can
be checked, but the store keeps them in a separate, never public document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from village_app.domain.errors import Ineligible, Problems, ValidationError
from village_app.i18n import N_, Message, Param


class BodyKind(StrEnum):
    """Every body a village has; the values are stable keys used in documents and URLs."""

    PARTY_BRANCH = "party_branch"  # 村党支部 (the core, 一核)
    BRANCH_COMMITTEE = "branch_committee"  # 支委会
    VILLAGERS_COMMITTEE = "villagers_committee"  # 村民委员会
    TWO_COMMITTEES = "two_committees"  # 两委 (joint meeting)
    PARTY_MEMBERS = "party_members"  # 党员大会
    VILLAGERS_MEETING = "villagers_meeting"  # 村民会议
    REPRESENTATIVES = "representatives"  # 村民代表 / 村民代表会议
    RESIDENTS_COUNCIL = "residents_council"  # 村民议事会
    WEDDINGS_FUNERALS_COUNCIL = "weddings_funerals_council"  # 红白理事会
    MORAL_REVIEW_COUNCIL = "moral_review_council"  # 道德评议会
    WORTHIES_ASSOCIATION = "worthies_association"  # 乡贤会
    SUPERVISION_COMMITTEE = "supervision_committee"  # 村务监督委员会


#: Body -> its name (a msgid: the Chinese name, translated by the catalog).
BODY_NAMES: dict[BodyKind, str] = {
    BodyKind.PARTY_BRANCH: N_("村党支部"),
    BodyKind.BRANCH_COMMITTEE: N_("党支部委员会"),
    BodyKind.VILLAGERS_COMMITTEE: N_("村民委员会"),
    BodyKind.TWO_COMMITTEES: N_("村两委"),
    BodyKind.PARTY_MEMBERS: N_("党员大会"),
    BodyKind.VILLAGERS_MEETING: N_("村民会议"),
    BodyKind.REPRESENTATIVES: N_("村民代表会议"),
    BodyKind.RESIDENTS_COUNCIL: N_("村民议事会"),
    BodyKind.WEDDINGS_FUNERALS_COUNCIL: N_("红白理事会"),
    BodyKind.MORAL_REVIEW_COUNCIL: N_("道德评议会"),
    BodyKind.WORTHIES_ASSOCIATION: N_("乡贤会"),
    BodyKind.SUPERVISION_COMMITTEE: N_("村务监督委员会"),
}

#: The four councils of 一核多会, in the order pages list them.
COUNCILS: tuple[BodyKind, ...] = (
    BodyKind.RESIDENTS_COUNCIL,
    BodyKind.WEDDINGS_FUNERALS_COUNCIL,
    BodyKind.MORAL_REVIEW_COUNCIL,
    BodyKind.WORTHIES_ASSOCIATION,
)

#: Bodies whose records name private people (DOMAIN.md: sensitive).
SENSITIVE_BODIES: frozenset[BodyKind] = frozenset({BodyKind.MORAL_REVIEW_COUNCIL})

#: Bodies that have a standing roster (the others are meetings of a roster:
#: the two committees meet as 支委会 + 村委会, the villagers' meeting is everyone).
ROSTER_BODIES: tuple[BodyKind, ...] = (
    BodyKind.PARTY_BRANCH,
    BodyKind.BRANCH_COMMITTEE,
    BodyKind.VILLAGERS_COMMITTEE,
    BodyKind.REPRESENTATIVES,
    *COUNCILS,
    BodyKind.SUPERVISION_COMMITTEE,
)


def body_kind(value: str, *, field_name: str = "body") -> BodyKind:
    """The :class:`BodyKind` for a key, or a named error."""
    try:
        return BodyKind(value)
    except ValueError:
        raise ValidationError(
            N_("未知的组织：%(body)s"), {"body": value}, field=field_name
        ) from None


def body_name(kind: str) -> str:
    """The body's name, a msgid (``ValueError`` for a key that names no body)."""
    return BODY_NAMES[BodyKind(kind)]


def named_body(kind: str) -> Param:
    """A body as a message parameter: its name, translated; a key that names none, as it is."""
    try:
        return Message(body_name(kind))
    except ValueError:
        return kind


@dataclass(frozen=True)
class Village:
    code: str  # 12-digit administrative code
    name: str
    township: str  # 乡镇
    county: str  # 县


_CODE = re.compile(r"^\d{12}$")


def validate_village(village: Village) -> Village:
    if not _CODE.match(village.code or ""):
        raise ValidationError(N_("村代码应为12位数字"), field="code")
    for name, label in (("name", N_("村名")), ("township", N_("乡镇")), ("county", N_("县"))):
        if not getattr(village, name).strip():
            raise ValidationError(N_("请填写%(label)s"), {"label": Message(label)}, field=name)
    return village


#: The roles a roster uses most, worded by the catalog where they are shown; a role typed
#: otherwise is the village's own text, shown as typed. ``成员``, a seat without a role
#: (the default), is shown as ``普通成员``: ``成员`` alone is the catalog's "members".
ROLE_WORDS: tuple[str, ...] = (
    "成员",
    N_("书记"),
    N_("副书记"),
    N_("组织委员"),
    N_("宣传委员"),
    N_("纪检委员"),
    N_("主任"),
    N_("副主任"),
    N_("委员"),
    N_("党员"),
    N_("代表"),
    N_("村民代表"),
    N_("会长"),
    N_("副会长"),
    N_("秘书长"),
    N_("议事员"),
    N_("理事"),
    N_("评议员"),
    N_("乡贤"),
    N_("召集人"),
)
#: How a role word is worded by the catalog (msgids): itself, but the default's.
ROLE_NAMES: dict[str, str] = {**{word: word for word in ROLE_WORDS}, "成员": N_("普通成员")}


@dataclass(frozen=True)
class Member:
    """A seat on a body. ``person`` identifies the human across bodies (defaults to the name)."""

    body: str
    name: str
    role: str = "成员"  # 书记, 主任, 委员, 会长, 召集人, 代表, 成员...
    term_start: date | None = None
    term_end: date | None = None
    convenor: bool = False
    person: str = ""
    close_relatives: tuple[str, ...] = ()  # persons (names) this member is closely related to
    phone: str = ""
    id: str = ""
    created_at: str = ""
    created_by: str = ""
    rev: str = ""  # the revision read (rosters are editable)
    conflicts: tuple[str, ...] = ()  # conflicting revisions, for the UI to resolve
    #: Every edit of the seat, oldest first (who changed what, when): a roster is edited, and
    #: what it said before stays readable.
    history: tuple[MemberChange, ...] = ()

    @property
    def person_key(self) -> str:
        return self.person or self.name

    def active_on(self, day: date) -> bool:
        started = self.term_start is None or self.term_start <= day
        return started and (self.term_end is None or day <= self.term_end)

    def ended_by(self, day: date) -> bool:
        """The term ended before ``day`` (shown as 已离任)."""
        return self.term_end is not None and self.term_end < day

    def overlaps(self, other: Member) -> bool:
        """Whether the two terms share a day (an open end runs for ever)."""
        return (
            self.term_start is None or other.term_end is None or self.term_start <= other.term_end
        ) and (
            other.term_start is None or self.term_end is None or other.term_start <= self.term_end
        )


#: What an edit of a seat may change, and what each field is called (msgids).
MEMBER_FIELDS: dict[str, str] = {
    "name": N_("姓名"),
    "role": N_("职务"),
    "term_start": N_("任期开始"),
    "term_end": N_("任期结束"),
    "convenor": N_("召集人"),
}


@dataclass(frozen=True)
class MemberChange:
    """One edit of a seat: when (a UTC stamp), by whom, and each field's value before and
    after, as stored (dates ISO, ``""`` for none, ``"yes"``/``""`` for the convenor)."""

    at: str
    by: str
    changes: tuple[tuple[str, str, str], ...]


def _stored(member: Member, name: str) -> str:
    value = getattr(member, name)
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "").strip()


def member_changes(old: Member, new: Member) -> tuple[tuple[str, str, str], ...]:
    """What an edit changes: ``(field, before, after)`` for each field of
    :data:`MEMBER_FIELDS` that differs."""
    return tuple(
        (name, _stored(old, name), _stored(new, name))
        for name in MEMBER_FIELDS
        if _stored(old, name) != _stored(new, name)
    )


class DuplicateName(ValidationError):
    """A second seat on one body under a name already there, for the same time (the form asks
    whether it is another person of the same name)."""

    code = "duplicate_name"


def check_duplicate_name(member: Member, roster: Iterable[Member]) -> None:
    """Refuse a name already seated on the body for an overlapping term (a typo, or the same
    person added twice), unless the secretary said it is another person (the caller skips it)."""
    name = member.name.strip()
    for other in roster:
        if other.body != member.body or other.name.strip() != name or other == member:
            continue
        if member.id and other.id == member.id:
            continue
        if member.overlaps(other):
            raise DuplicateName(
                N_(
                    "%(body)s已有一位“%(name)s”（%(role)s）。如果是另一位同名的人，"
                    "请勾选“是另一位同名的人”后再保存；如果是同一人，不要重复添加。"
                ),
                {"body": named_body(member.body), "name": name, "role": other.role},
                field="name",
                ids=[i for i in (member.id, other.id) if i],
            )


def active_members(roster: Iterable[Member], body: str, day: date) -> list[Member]:
    return [m for m in roster if m.body == body and m.active_on(day)]


def validate_member(
    member: Member,
    roster: Sequence[Member] = (),
    *,
    today: date | None = None,
    same_name_ok: bool = False,
) -> Member:
    """Check a seat before it is stored; ``roster`` is everyone else's seats in the village
    (the member itself, when edited, is skipped by id). Every field's error at once.
    ``same_name_ok``: the secretary said a namesake on the body is another person."""
    body_kind(member.body)
    problems = Problems()
    if not member.name.strip():
        problems.add(ValidationError(N_("请填写姓名"), field="name", ids=[member.id]))
    if len(member.name) > 40:
        problems.add(ValidationError(N_("姓名过长（最多 40 字）"), field="name", ids=[member.id]))
    if not member.role.strip():
        problems.add(ValidationError(N_("请填写职务"), field="role", ids=[member.id]))
    if member.term_start and member.term_end and member.term_end < member.term_start:
        problems.add(
            ValidationError(N_("任期结束日期早于开始日期"), field="term_end", ids=[member.id])
        )
    if not same_name_ok and not problems.about("name"):
        with problems.check():
            check_duplicate_name(member, roster)
    problems.raise_any()
    others = [m for m in roster if not (member.id and m.id == member.id)]
    day = today or member.term_start or date.today()
    if member.convenor:
        for other in active_members(others, member.body, day):
            if other.convenor:
                raise ValidationError(
                    N_("%(body)s已有召集人：%(name)s"),
                    {"body": named_body(member.body), "name": other.name},
                    field="convenor",
                    ids=[member.id, other.id],
                )
    if member.body == BodyKind.SUPERVISION_COMMITTEE:
        check_supervision_eligibility(member, others, day=day)
    elif member.body == BodyKind.VILLAGERS_COMMITTEE:
        # The rule binds both ways: a committee seat may not go to a supervisor or their relative.
        for supervisor in active_members(others, BodyKind.SUPERVISION_COMMITTEE, day):
            check_supervision_eligibility(supervisor, [*others, member], day=day)
    return member


def check_supervision_eligibility(
    candidate: Member, roster: Iterable[Member], *, day: date | None = None
) -> None:
    """DOMAIN.md: supervision committee members may not be villagers' committee members
    or their close relatives. Relations count in either direction."""
    day = day or candidate.term_start or date.today()
    committee = [
        m
        for m in roster
        if m.body == BodyKind.VILLAGERS_COMMITTEE and m.active_on(day) and m.id != candidate.id
    ]
    for seat in committee:
        if seat.person_key == candidate.person_key:
            raise Ineligible(
                N_("%(name)s是村民委员会成员，不能担任村务监督委员会成员"),
                {"name": candidate.name},
                field="name",
                ids=[candidate.id, seat.id],
            )
        if (
            seat.person_key in candidate.close_relatives
            or candidate.person_key in seat.close_relatives
        ):
            raise Ineligible(
                N_("%(name)s是村民委员会成员%(member)s的近亲属，不能担任村务监督委员会成员"),
                {"name": candidate.name, "member": seat.name},
                field="close_relatives",
                ids=[candidate.id, seat.id],
            )


@dataclass(frozen=True)
class Body:
    """A body's standing data: its charter (章程) and, optionally, its own rule (see :mod:`rules`)."""

    kind: str
    charter: str = ""
    rule: dict[str, object] | None = None  # rule data as in rules.rule_to_data
    id: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    rev: str = ""  # the revision read (editable)

    @property
    def name_zh(self) -> str:
        """The Chinese name, written into the body's document beside its key (document data,
        for anyone reading the database without the app); the pages translate the key."""
        return body_name(self.kind)
