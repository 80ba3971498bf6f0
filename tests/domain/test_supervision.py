from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from village_app.domain import (
    SHANGHAI,
    Ineligible,
    Member,
    StatusTransition,
    SupervisionEntry,
    ValidationError,
    fold_supervision,
    record_supervision,
)

ROSTER = [Member("supervision_committee", "赵建华", "主任", date(2024, 1, 1), None, id="s1")]
AT = datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)


def _stamp(entry: SupervisionEntry, n: int) -> SupervisionEntry:
    return replace(entry, id=f"sup-{n}", created_at=f"2026-06-0{n}")


def test_thread_moves_open_rectifying_closed() -> None:
    first = _stamp(
        record_supervision(
            SupervisionEntry("决议公开不及时", "赵建华", noted_at=AT, matter="m"), ROSTER
        ),
        1,
    )
    [thread] = fold_supervision([first])
    assert thread.status == "open" and thread.is_open
    second = _stamp(
        record_supervision(
            SupervisionEntry("", "赵建华", "rectifying", "已要求三日内公开", noted_at=AT),
            ROSTER,
            thread,
        ),
        2,
    )
    assert second.thread == "sup-1" and second.finding == "决议公开不及时" and second.matter == "m"
    [thread] = fold_supervision([first, second])
    third = _stamp(
        record_supervision(
            SupervisionEntry("", "赵建华", "closed", "已公开", noted_at=AT), ROSTER, thread
        ),
        3,
    )
    [thread] = fold_supervision([third, first, second])
    assert thread.status == "closed" and not thread.is_open and len(thread.entries) == 3
    with pytest.raises(StatusTransition) as info:
        record_supervision(
            SupervisionEntry("", "赵建华", "open", "再次打开", noted_at=AT), ROSTER, thread
        )
    assert info.value.field == "status"


def test_only_serving_supervisors_record() -> None:
    with pytest.raises(Ineligible) as info:
        record_supervision(SupervisionEntry("问题", "林国强", noted_at=AT), ROSTER)
    assert info.value.field == "recorded_by"
    ended = [replace(ROSTER[0], term_end=date(2025, 12, 31))]
    with pytest.raises(Ineligible):
        record_supervision(SupervisionEntry("问题", "赵建华", noted_at=AT), ended)


def test_required_fields() -> None:
    with pytest.raises(ValidationError) as info:
        record_supervision(SupervisionEntry(" ", "赵建华", noted_at=AT), ROSTER)
    assert info.value.field == "finding"
    with pytest.raises(ValidationError) as info:
        record_supervision(SupervisionEntry("x", "赵建华", status="done", noted_at=AT), ROSTER)
    assert info.value.field == "status"
    [thread] = fold_supervision([_stamp(SupervisionEntry("x", "赵建华"), 1)])
    with pytest.raises(ValidationError) as info:
        record_supervision(
            SupervisionEntry("", "赵建华", "rectifying", " ", noted_at=AT), ROSTER, thread
        )
    assert info.value.field == "follow_up"


def test_corrections_fold_inside_threads() -> None:
    first = _stamp(SupervisionEntry("发现一", "赵建华"), 1)
    fix = _stamp(SupervisionEntry("发现一（更正）", "赵建华", corrects="sup-1", reason="笔误"), 2)
    other = _stamp(SupervisionEntry("发现二", "赵建华"), 3)
    threads = fold_supervision([other, fix, first])
    assert [t.first.finding for t in threads] == ["发现一（更正）", "发现二"]
    assert threads[0].entries[0].superseded == (first,)
