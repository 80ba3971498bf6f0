from __future__ import annotations

import pytest

from village_app.domain import (
    Attendance,
    DomainError,
    VoteArithmetic,
    validate_attendance,
    validate_member,
)
from village_app.domain.organisation import Member


def test_an_error_carries_its_msgid_and_parameters_not_a_language() -> None:
    with pytest.raises(VoteArithmetic) as info:
        validate_attendance(Attendance(30, 31))
    error = info.value
    assert error.msgid == "实到人数（%(present)s）不能超过应到人数（%(expected)s）"
    assert error.params == {"present": 31, "expected": 30}
    assert error.field == "present" and error.code == "vote_arithmetic"


def test_the_message_comes_from_the_catalog_in_the_asked_language() -> None:
    with pytest.raises(VoteArithmetic) as info:
        validate_attendance(Attendance(30, 31))
    assert (
        info.value.message()
        == info.value.message("zh_CN")
        == "实到人数（31）不能超过应到人数（30）"
    )
    assert info.value.message("en") == "Present (31) may not exceed expected (30)."


def test_str_is_english_for_logs_with_the_ids() -> None:
    convenor = Member("residents_council", "李明", convenor=True, id="member:v:1")
    with pytest.raises(DomainError) as info:
        validate_member(
            Member("residents_council", "王芳", convenor=True, id="member:v:2"), [convenor]
        )
    # A parameter that is a name from a table (the body) is translated too; a name as typed is not.
    assert str(info.value) == (
        "Residents' council already has a convenor: 李明 [member:v:2, member:v:1]"
    )
    assert "convenor" in repr(info.value) and "member:v:1" in repr(info.value)
