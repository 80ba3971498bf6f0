"""Who is expected at a meeting: the roster of the body that meets, on the meeting's day.

A meeting body is not always a roster of its own: the two committees meet as the branch
committee and the villagers' committee together (one person sitting on both counts once); the
党支部会 that proposes a major matter is its committee's meeting (支委会), as the demo village
records it; the 党员大会 is every member of the branch. A villagers' meeting is everyone: it has
no roster, and its attendance is typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.meetings import Attendance, Vote
from village_app.domain.organisation import BodyKind, Member, named_body
from village_app.i18n import N_, Message

#: Whose seats make up each meeting body's roster. A body missing here has none (typed names).
MEETING_ROSTERS: Final[dict[str, tuple[str, ...]]] = {
    BodyKind.PARTY_BRANCH: (BodyKind.BRANCH_COMMITTEE,),
    BodyKind.BRANCH_COMMITTEE: (BodyKind.BRANCH_COMMITTEE,),
    BodyKind.VILLAGERS_COMMITTEE: (BodyKind.VILLAGERS_COMMITTEE,),
    BodyKind.TWO_COMMITTEES: (BodyKind.BRANCH_COMMITTEE, BodyKind.VILLAGERS_COMMITTEE),
    BodyKind.PARTY_MEMBERS: (BodyKind.PARTY_BRANCH,),
    BodyKind.REPRESENTATIVES: (BodyKind.REPRESENTATIVES,),
    BodyKind.RESIDENTS_COUNCIL: (BodyKind.RESIDENTS_COUNCIL,),
    BodyKind.WEDDINGS_FUNERALS_COUNCIL: (BodyKind.WEDDINGS_FUNERALS_COUNCIL,),
    BodyKind.MORAL_REVIEW_COUNCIL: (BodyKind.MORAL_REVIEW_COUNCIL,),
    BodyKind.WORTHIES_ASSOCIATION: (BodyKind.WORTHIES_ASSOCIATION,),
    BodyKind.SUPERVISION_COMMITTEE: (BodyKind.SUPERVISION_COMMITTEE,),
}

#: The longest list shown as ticks; a larger roster is typed (and still checked).
_MAX_TICKS: Final = 200


@dataclass(frozen=True)
class MeetingRoster:
    """The people expected at a meeting of ``body`` on ``day``, from the rosters it is made of
    (``sources``). ``names`` is empty when nobody is seated there yet."""

    body: str
    day: date
    sources: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """Worth offering as ticks (someone is seated, and not thousands)."""
        return 0 < len(self.names) <= _MAX_TICKS


def meeting_roster(body: str, members: Iterable[Member], day: date) -> MeetingRoster | None:
    """The roster of a meeting of ``body`` on ``day`` (``None``: the body has none, as a
    villagers' meeting). Each person once (by person key), in the rosters' order."""
    sources = MEETING_ROSTERS.get(body)
    if sources is None:
        return None
    seen: dict[str, str] = {}
    for source in sources:
        for m in members:
            if m.body == source and m.active_on(day):
                seen.setdefault(m.person_key, m.name.strip())
    return MeetingRoster(body, day, sources, tuple(seen.values()))


def check_on_roster(
    roster: MeetingRoster | None,
    attendance: Attendance | None,
    vote: Vote | None,
    problems: Problems,
) -> None:
    """Names typed or ticked for a meeting with a roster must be on it that day ("张三" is
    not): the attendees beside ``attendees``, the named voters beside ``by_name``."""
    if roster is None or not roster.names:
        return
    listed = set(roster.names)
    for field, names in (
        ("attendees", attendance.attendees if attendance else ()),
        ("by_name", tuple(name for name, _ in vote.by_name) if vote else ()),
    ):
        strangers = _unlisted(names, listed)
        if strangers:
            problems.add(
                ValidationError(
                    N_("%(names)s不在%(body)s的名单上（会议当天在任的成员）"),
                    {"names": "、".join(strangers), "body": named_body(roster.body)},
                    field=field,
                )
            )


def roster_mismatch(listed: int, expected: int | None) -> Message | None:
    """A warning (not a refusal: a roster may lag behind) when 应到 is not the number of people
    on the roster (``listed``; 0: no roster to compare with)."""
    if not listed or expected is None or expected == listed:
        return None
    return Message(
        N_("应到 %(expected)s 人，与名单上的 %(listed)s 人不一致，请核对。"),
        {"expected": expected, "listed": listed},
    )


def _unlisted(names: Sequence[str], listed: set[str]) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in names if n.strip() not in listed))
