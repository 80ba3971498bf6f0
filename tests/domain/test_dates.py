from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from village_app.domain import (
    SHANGHAI,
    ValidationError,
    iso_local,
    parse_local,
    parse_stamp,
    utc_stamp,
)
from village_app.i18n import format_date, format_datetime


def test_dates_in_words() -> None:
    # The one way dates are written: the web layer's i18n.format_date (the domain has none).
    assert format_date(date(2026, 11, 25), "zh_CN") == "2026年11月25日"
    assert format_date(date(2026, 1, 5), "zh_CN") == "2026年1月5日"
    # 17:30 UTC is already the next day in Shanghai.
    assert format_date(datetime(2026, 11, 24, 17, 30, tzinfo=UTC), "zh_CN") == "2026年11月25日"
    assert (
        format_datetime(datetime(2026, 11, 25, 11, 5, tzinfo=UTC), "zh_CN")
        == "2026年11月25日 19:05"
    )
    assert format_date(date(2026, 11, 25), "en") == "25 November 2026"


def test_stamps_are_utc_and_sortable() -> None:
    stamp = utc_stamp(datetime(2026, 11, 25, 19, 30, 1, 123456, tzinfo=SHANGHAI))
    assert stamp == "2026-11-25T11:30:01.123Z"
    assert parse_stamp(stamp) == datetime(2026, 11, 25, 11, 30, 1, 123000, tzinfo=UTC)
    assert utc_stamp(datetime(2026, 1, 1, tzinfo=UTC)) < utc_stamp(
        datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    )


def test_form_times_are_shanghai_wall_time() -> None:
    moment = parse_local("2026-11-25T19:30")
    offset = moment.utcoffset()
    assert offset is not None and offset.total_seconds() == 8 * 3600
    assert iso_local(moment) == "2026-11-25T19:30:00+08:00"
    assert parse_local("2026-11-25").hour == 0
    for bad in ("", "25/11/2026", "昨天"):
        with pytest.raises(ValidationError) as info:
            parse_local(bad, field="published_at")
        assert info.value.field == "published_at"
