from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from village_app.domain import SHANGHAI
from village_app.domain.timeliness import (
    PublicationRule,
    Timeliness,
    publication_deadline,
    publication_timeliness,
)


def at(month: int, day: int, hour: int = 19, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def test_a_major_resolution_is_due_seven_days_after_the_meeting() -> None:
    resolved = at(11, 3)
    assert publication_deadline(major=True, resolved_at=resolved) == at(11, 10)


def test_a_major_resolution_published_on_the_seventh_day_is_on_time_a_minute_later_late() -> None:
    def judge(published: datetime) -> Timeliness:
        return publication_timeliness(
            major=True, resolved_at=at(11, 3), published_at=published, now=at(12, 31)
        )

    on_day_seven = judge(at(11, 10))
    a_minute_late = judge(at(11, 10) + timedelta(minutes=1))
    assert on_day_seven is Timeliness.ON_TIME and on_day_seven.on_time is True
    assert a_minute_late is Timeliness.LATE and a_minute_late.on_time is False


@pytest.mark.parametrize(
    ("resolved", "last_day"),
    [
        (at(1, 2), at(4, 10, 23)),  # Q1 -> by 10 April
        (at(3, 31, 22), at(4, 10, 23)),  # the quarter's last evening: same quarter
        (at(4, 1, 8), at(7, 10, 23)),  # Q2
        (at(9, 30), at(10, 10, 23)),  # Q3
        (at(12, 31), datetime(2027, 1, 10, 23, 59, 59, tzinfo=SHANGHAI)),  # Q4 -> next year
    ],
)
def test_another_resolution_is_due_in_that_quarters_publication(
    resolved: datetime, last_day: datetime
) -> None:
    deadline = publication_deadline(major=False, resolved_at=resolved)
    assert deadline.date() == last_day.date()
    assert (deadline.hour, deadline.minute) == (23, 59)


def test_quarters_are_counted_in_shanghai_time() -> None:
    # 31 March 17:00 UTC is already 1 April in Shanghai: the second quarter.
    resolved = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
    assert publication_deadline(major=False, resolved_at=resolved).date() == at(7, 10).date()


def test_unpublished_is_pending_until_the_deadline_then_overdue() -> None:
    def judge(now: datetime) -> Timeliness:
        return publication_timeliness(major=True, resolved_at=at(11, 3), published_at=None, now=now)

    before, after = judge(at(11, 10)), judge(at(11, 10, 20))
    assert before is Timeliness.PENDING and before.on_time is None
    assert after is Timeliness.OVERDUE and after.on_time is False


def test_no_resolution_no_deadline_and_a_private_matter_has_none_at_all() -> None:
    unresolved = publication_timeliness(
        major=True, resolved_at=None, published_at=None, now=at(12, 1)
    )
    private = publication_timeliness(
        major=False, resolved_at=at(1, 1), published_at=None, now=at(12, 1), required=False
    )
    assert unresolved is Timeliness.NOT_RESOLVED and unresolved.on_time is None
    assert private is Timeliness.NOT_REQUIRED and private.on_time is None


def test_the_rule_is_data() -> None:
    strict = PublicationRule(major_days=3, quarter_grace_days=0)
    assert publication_deadline(major=True, resolved_at=at(11, 3), rule=strict) == at(11, 6)
    assert publication_deadline(major=False, resolved_at=at(11, 3), rule=strict).date() == (
        at(12, 31).date()
    )
