"""Meetings: attendance (应到/实到), votes, and the outcome computed from the body's rule.

The outcome is always computed here from the counts and the rule, never typed in.
A vote at a meeting that is not quorate is void: it neither passes nor fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from village_app.domain.errors import NotQuorate, ValidationError, VoteArithmetic, VoteRejected
from village_app.domain.rules import BASES, BodyRule
from village_app.i18n import N_, Message

Choice = Literal["for", "against", "abstain"]
CHOICES: tuple[Choice, ...] = ("for", "against", "abstain")
#: Above any real village; stops a typo of 3000 for 30 from looking plausible.
MAX_ATTENDANCE = 100_000


@dataclass(frozen=True)
class Attendance:
    expected: int  # 应到
    present: int  # 实到
    basis: str = "members"  # members | adults | households (villagers' meeting)
    attendees: tuple[str, ...] = ()  # names, optional; when given, there are exactly `present`

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.present, self.expected) if self.expected > 0 else Fraction(0)

    def ratio_percent(self) -> str:
        """``70.0%``, rounded half up from the exact fraction."""
        tenths = math.floor(self.ratio * 1000 + Fraction(1, 2))
        return f"{tenths // 10}.{tenths % 10}%"


@dataclass(frozen=True)
class Vote:
    in_favour: int
    against: int
    abstain: int = 0
    by_name: tuple[tuple[str, str], ...] = ()  # (name, "for" | "against" | "abstain"), optional

    @property
    def total(self) -> int:
        return self.in_favour + self.against + self.abstain


@dataclass(frozen=True)
class MeetingOutcome:
    """What the rule says about a meeting: computed, stored as evidence, recomputed on read."""

    quorate: bool
    quorum_needed: int  # the smallest 实到 that makes the meeting valid
    passed: bool | None = None  # None: no vote, or void because not quorate
    votes_needed: int | None = None  # the smallest 赞成 that passes

    @property
    def succeeded(self) -> bool:
        return self.quorate and self.passed is not False

    def summary(self) -> Message:
        """The outcome in words, to be translated."""
        if not self.quorate:
            return Message(
                N_("未达法定人数（至少需%(needed)s人），会议无效"), {"needed": self.quorum_needed}
            )
        if self.passed is None:
            return Message(N_("达到法定人数，会议有效"))
        if self.passed:
            return Message(N_("表决通过"))
        return Message(
            N_("表决未通过（赞成票至少需%(needed)s票）"), {"needed": self.votes_needed or 0}
        )


def _count(value: int, name: str, label: str) -> None:
    """``value`` of the field ``name`` (called ``label``, a msgid) is a plausible count."""
    params = {"label": Message(label)}
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(N_("%(label)s应为整数"), params, field=name)
    if value < 0:
        raise VoteArithmetic(N_("%(label)s不能为负数"), params, field=name)
    if value > MAX_ATTENDANCE:
        raise VoteArithmetic(N_("%(label)s过大"), params, field=name)


def validate_attendance(attendance: Attendance) -> Attendance:
    _count(attendance.expected, "expected", N_("应到人数"))
    _count(attendance.present, "present", N_("实到人数"))
    if attendance.expected == 0:
        raise VoteArithmetic(N_("应到人数应大于0"), field="expected")
    if attendance.present > attendance.expected:
        raise VoteArithmetic(
            N_("实到人数（%(present)s）不能超过应到人数（%(expected)s）"),
            {"present": attendance.present, "expected": attendance.expected},
            field="present",
        )
    if attendance.basis not in BASES:
        raise ValidationError(N_("出席人数的计算方式不正确"), field="basis")
    names = [n.strip() for n in attendance.attendees]
    if names:
        if any(not n for n in names):
            raise ValidationError(N_("出席人员姓名不能为空"), field="attendees")
        if len(set(names)) != len(names):
            raise ValidationError(N_("出席人员名单有重复"), field="attendees")
        if len(names) != attendance.present:
            raise VoteArithmetic(
                N_("出席名单有%(listed)s人，与实到人数%(present)s不符"),
                {"listed": len(names), "present": attendance.present},
                field="attendees",
            )
    return attendance


def validate_vote(vote: Vote, attendance: Attendance) -> Vote:
    """Vote arithmetic: counts are whole and non-negative, their sum never exceeds those present,
    and a by-name list, when given, agrees with the counts (and with the attendee list)."""
    for name, label in (
        ("in_favour", N_("赞成票")),
        ("against", N_("反对票")),
        ("abstain", N_("弃权票")),
    ):
        _count(getattr(vote, name), name, label)
    if vote.total > attendance.present:
        raise VoteArithmetic(
            N_("赞成、反对、弃权合计%(votes)s票，超过实到人数%(present)s"),
            {"votes": vote.total, "present": attendance.present},
            field="in_favour",
        )
    if vote.by_name:
        voters = [name.strip() for name, _ in vote.by_name]
        if len(set(voters)) != len(voters):
            raise VoteArithmetic(N_("记名表决中有人重复投票"), field="by_name")
        if any(choice not in CHOICES for _, choice in vote.by_name):
            raise ValidationError(N_("记名表决的选项不正确"), field="by_name")
        tally = {c: sum(1 for _, choice in vote.by_name if choice == c) for c in CHOICES}
        if (tally["for"], tally["against"], tally["abstain"]) != (
            vote.in_favour,
            vote.against,
            vote.abstain,
        ):
            raise VoteArithmetic(N_("记名表决与票数合计不一致"), field="by_name")
        if attendance.attendees and not set(voters) <= {a.strip() for a in attendance.attendees}:
            raise VoteArithmetic(N_("有未出席会议的人参加表决"), field="by_name")
    return vote


def quorum_needed(rule: BodyRule, expected: int, basis: str = "members") -> int:
    """The smallest number present for a valid meeting (for live hints as counts are typed)."""
    return rule.quorum_for(basis).minimum(expected)


def evaluate_meeting(
    rule: BodyRule, attendance: Attendance, vote: Vote | None = None
) -> MeetingOutcome:
    """Validate the counts, then compute the outcome from ``rule``."""
    validate_attendance(attendance)
    quorum = rule.quorum_for(attendance.basis)
    quorate = quorum.met(attendance.present, attendance.expected)
    needed = quorum.minimum(attendance.expected)
    if vote is None:
        return MeetingOutcome(quorate=quorate, quorum_needed=needed)
    validate_vote(vote, attendance)
    base = attendance.present if rule.majority_of == "present" else attendance.expected
    votes_needed = rule.majority.minimum(base) if base > 0 else 1
    passed = rule.majority.met(vote.in_favour, base) if quorate else None
    return MeetingOutcome(
        quorate=quorate, quorum_needed=needed, passed=passed, votes_needed=votes_needed
    )


def require_success(
    outcome: MeetingOutcome, attendance: Attendance, ids: tuple[str, ...] = ()
) -> None:
    """For callers that refuse a failed meeting instead of recording it."""
    if not outcome.quorate:
        raise NotQuorate(
            N_("实到%(present)s人，未达法定人数（应到%(expected)s人，至少需%(needed)s人）"),
            {
                "present": attendance.present,
                "expected": attendance.expected,
                "needed": outcome.quorum_needed,
            },
            field="present",
            ids=ids,
        )
    if outcome.passed is False:
        raise VoteRejected(
            N_("表决未通过：赞成票至少需%(needed)s票"),
            {"needed": outcome.votes_needed or 0},
            field="in_favour",
            ids=ids,
        )
