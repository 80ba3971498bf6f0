"""Dates and times: Chinese display, Asia/Shanghai wall time, UTC stamps.

Two kinds of time, on purpose:

* ``created_at`` stamps of documents are UTC, ``YYYY-MM-DDTHH:MM:SS.mmmZ``
  (like JavaScript's ``toISOString``): fixed width, so they sort as strings and
  compare across laptops; made by :func:`utc_stamp`.
* times the secretary enters (a meeting's time, a publication date) are
  Asia/Shanghai wall time, kept as aware datetimes and written with their
  ``+08:00`` offset (:func:`iso_local`), because that is what the paper sheet says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from village_app.domain.errors import ValidationError
from village_app.i18n import N_

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The dates a record may hold: wider than any real record, narrow enough that converting to
#: Shanghai time and formatting can never overflow (year 1 and 9999 did). Forms refuse what
#: lies outside; documents that arrive with it are quarantined (``repo.docs._fields``).
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def check_date_range(value: date, *, field: str, text: str) -> None:
    """:class:`ValidationError` for a date outside :data:`EARLIEST` .. :data:`LATEST`."""
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(
            N_("日期超出范围：%(value)s（应在 %(first)s 年到 %(last)s 年之间）"),
            {"value": text, "first": EARLIEST.year, "last": LATEST.year},
            field=field,
        )


def now_utc() -> datetime:
    return datetime.now(UTC)


def utc_stamp(moment: datetime | None = None) -> str:
    """A sortable UTC stamp, ``2026-11-25T11:17:00.123Z``."""
    moment = (moment or now_utc()).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> datetime:
    """Any ISO 8601 time with an offset (``Z`` included) as an aware datetime."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise ValidationError(
            N_("时间格式不正确：%(time)s"), {"time": str(text)}, field="held_at"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def to_shanghai(moment: datetime) -> datetime:
    """Aware datetimes converted; naive ones are taken as Shanghai wall time."""
    return moment.astimezone(SHANGHAI) if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def iso_local(moment: datetime) -> str:
    """Shanghai wall time with its offset, ``2026-11-25T19:30:00+08:00``."""
    return to_shanghai(moment).isoformat(timespec="seconds")


def parse_local(text: str, *, field: str = "held_at") -> datetime:
    """A time typed in a form (``2026-11-25T19:30`` from ``<input type=datetime-local>``,
    ``2026-11-25 19:30`` or ``2026-11-25``) as Shanghai wall time."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(N_("请填写时间"), field=field)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(
            N_("时间格式不正确：%(time)s（应为 2026-11-25 19:30）"), {"time": text}, field=field
        ) from exc
    # The wall-clock date first, then the instant: 0001-01-01T00:00+14:00 is in range as
    # written but overflows when converted.
    check_date_range(moment.date(), field=field, text=text)
    local = to_shanghai(moment)  # cannot overflow: at most a day from a date in range
    check_date_range(local.date(), field=field, text=text)
    return local


#: Where a village's records begin: nothing before it is entered (a typo of the year, mostly).
RECORDS_BEGIN = date(2000, 1, 1)


@dataclass(frozen=True)
class DateWindow:
    """The dates a record being entered may carry: not before the village's records begin, and
    not after today in Asia/Shanghai (a meeting dated next spring has not happened)."""

    earliest: date
    today: date

    @classmethod
    def at(cls, now: datetime, earliest: date | None = None) -> DateWindow:
        return cls(earliest or RECORDS_BEGIN, to_shanghai(now).date())

    def check(self, value: date | datetime | None, *, field: str) -> None:
        if value is None:
            return
        day = to_shanghai(value).date() if isinstance(value, datetime) else value
        if day > self.today:
            raise ValidationError(
                N_("日期不能晚于今天（%(today)s）：还没有发生的事不能记录"),
                {"today": self.today.isoformat()},
                field=field,
            )
        if day < self.earliest:
            raise ValidationError(
                N_("日期不能早于本村记录开始的日期（%(first)s）"),
                {"first": self.earliest.isoformat()},
                field=field,
            )
