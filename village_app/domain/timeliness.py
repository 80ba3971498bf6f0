"""Whether a resolution was published in time (村务公开, 组织法 art. 30).

The law asks that major matters be published "at once" (随时公开) and other village
affairs "at least once a quarter" (至少每季度公开一次). As checkable rules, with the
defaults most county 村务公开 rules write down (rules are data, per village):

* a major matter's resolution is published within :attr:`PublicationRule.major_days`
  (7) days of the resolution meeting;
* any other matter's resolution goes up in that quarter's publication: by the end of
  the :attr:`PublicationRule.quarter_grace_days` (10th) day after the quarter of the
  resolution ends (quarters and days in Asia/Shanghai, as the notice board reads them).

A matter with no public stage (a private moral review) has nothing to publish.
The county indexer and the county's review checks both judge with these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from village_app.domain.dates import SHANGHAI, to_shanghai
from village_app.i18n import N_

if TYPE_CHECKING:
    from village_app.domain.timeline import MatterView


@dataclass(frozen=True)
class PublicationRule:
    """How soon a resolution must be published."""

    #: Days after the resolution meeting within which a major matter's resolution is
    #: published ("at once").
    major_days: int = 7
    #: Days after the end of the resolution's quarter within which another matter's
    #: resolution is published ("at least quarterly").
    quarter_grace_days: int = 10


DEFAULT_PUBLICATION_RULE = PublicationRule()


class Timeliness(StrEnum):
    """Where a matter stands against its publication deadline."""

    NOT_REQUIRED = "not_required"  # nothing of it is published (a private moral review)
    NOT_RESOLVED = "not_resolved"  # no resolution yet: no deadline
    PENDING = "pending"  # resolved, not published, the deadline still ahead
    ON_TIME = "on_time"  # published by the deadline
    LATE = "late"  # published, after the deadline
    OVERDUE = "overdue"  # not published, and the deadline has passed

    @property
    def on_time(self) -> bool | None:
        """``True`` published in time, ``False`` late or overdue, ``None`` not decided yet
        (or nothing to decide)."""
        if self is Timeliness.ON_TIME:
            return True
        if self in (Timeliness.LATE, Timeliness.OVERDUE):
            return False
        return None


#: Timeliness -> its name (a msgid).
TIMELINESS_NAMES: dict[str, str] = {
    Timeliness.NOT_REQUIRED: N_("无需公开"),
    Timeliness.NOT_RESOLVED: N_("尚未决议"),
    Timeliness.PENDING: N_("待公开"),
    Timeliness.ON_TIME: N_("按时公开"),
    Timeliness.LATE: N_("逾期公开"),
    Timeliness.OVERDUE: N_("逾期未公开"),
}


def _quarter_end(day: date) -> date:
    first_month_next = (day.month - 1) // 3 * 3 + 4
    if first_month_next > 12:
        return date(day.year, 12, 31)
    return date(day.year, first_month_next, 1) - timedelta(days=1)


def publication_deadline(
    *, major: bool, resolved_at: datetime, rule: PublicationRule = DEFAULT_PUBLICATION_RULE
) -> datetime:
    """The last moment (Asia/Shanghai, aware) the resolution may be published."""
    resolved = to_shanghai(resolved_at)
    if major:
        return resolved + timedelta(days=rule.major_days)
    last_day = _quarter_end(resolved.date()) + timedelta(days=rule.quarter_grace_days)
    return datetime.combine(last_day, time(23, 59, 59), SHANGHAI)


def publication_timeliness(
    *,
    major: bool,
    resolved_at: datetime | None,
    published_at: datetime | None,
    now: datetime,
    required: bool = True,
    rule: PublicationRule = DEFAULT_PUBLICATION_RULE,
) -> Timeliness:
    """Judge one matter: ``resolved_at`` is its resolution meeting, ``published_at`` the
    publication of that resolution (``None`` while there is none), ``now`` the moment
    of judging, ``required`` whether its procedure publishes at all."""
    if not required:
        return Timeliness.NOT_REQUIRED
    if resolved_at is None:
        return Timeliness.NOT_RESOLVED
    deadline = publication_deadline(major=major, resolved_at=resolved_at, rule=rule)
    if published_at is not None:
        return Timeliness.ON_TIME if published_at <= deadline else Timeliness.LATE
    return Timeliness.OVERDUE if now > deadline else Timeliness.PENDING


#: The stages whose record is the resolution, and the publication of that resolution.
RESOLUTION_STAGES: Final = frozenset({"resolution", "council_resolution"})
RESOLUTION_PUBLICATION_STAGES: Final = frozenset({"resolution_publication", "council_publication"})


def matter_timeliness(
    view: MatterView, *, now: datetime, rule: PublicationRule = DEFAULT_PUBLICATION_RULE
) -> Timeliness:
    """Where a folded matter stands against its publication deadline, from its records."""
    resolution = next((s.record for s in view.stages if s.spec.key in RESOLUTION_STAGES), None)
    publication = next(
        (s.record for s in view.stages if s.spec.key in RESOLUTION_PUBLICATION_STAGES), None
    )
    published = (
        publication.publication.published_at
        if publication is not None and publication.publication is not None
        else None
    )
    return publication_timeliness(
        major=view.matter.major,
        resolved_at=resolution.held_at if resolution is not None else None,
        published_at=published,
        now=now,
        required=any(s.spec.key in RESOLUTION_PUBLICATION_STAGES for s in view.stages),
        rule=rule,
    )
