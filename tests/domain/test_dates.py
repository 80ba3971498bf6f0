from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from village_app.domain import (
    SHANGHAI,
    ValidationError,
    format_date_en,
    format_date_zh,
    format_datetime_zh,
    iso_local,
    parse_local,
    parse_stamp,
    utc_stamp,
)


def test_chinese_dates() -> None:
    assert format_date_zh(date(2026, 11, 25)) == "2026年11月25日"
    assert format_date_zh(date(2026, 1, 5)) == "2026年1月5日"
    # 17:30 UTC is already the next day in Shanghai.
    assert format_date_zh(datetime(2026, 11, 24, 17, 30, tzinfo=UTC)) == "2026年11月25日"
    assert format_datetime_zh(datetime(2026, 11, 25, 11, 5, tzinfo=UTC)) == "2026年11月25日 19:05"
    assert format_date_en(date(2026, 11, 25)) == "25 Nov 2026"


def test_stamps_are_utc_and_sortable() -> None:
    stamp = utc_stamp(datetime(2026, 11, 25, 19, 30, 1, 123456, tzinfo=SHANGHAI))
    assert stamp == "2026-11-25T11:30:01.123Z"
    assert parse_stamp(stamp) == datetime(2026, 11, 25, 11, 30, 1, 123000, tzinfo=UTC)
    assert utc_stamp(datetime(2026, 1, 1, tzinfo=UTC)) < utc_stamp(
        datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    )


def test_form_times_are_shanghai_wall_time() -> None:
    moment = parse_local("2026-11-25T19:30")
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]
    assert iso_local(moment) == "2026-11-25T19:30:00+08:00"
    assert parse_local("2026-11-25").hour == 0
    for bad in ("", "25/11/2026", "昨天"):
        with pytest.raises(ValidationError) as info:
            parse_local(bad, field="published_at")
        assert info.value.field == "published_at"
