from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from village_app.domain import (
    DEFAULT_RULES,
    Attendance,
    BodyKind,
    NotQuorate,
    ValidationError,
    Vote,
    VoteArithmetic,
    VoteRejected,
    evaluate_meeting,
    quorum_needed,
    require_success,
)
from village_app.i18n import translate

REPS = DEFAULT_RULES[BodyKind.REPRESENTATIVES]
VILLAGERS = DEFAULT_RULES[BodyKind.VILLAGERS_MEETING]
PARTY = DEFAULT_RULES[BodyKind.PARTY_MEMBERS]
COUNCIL = DEFAULT_RULES[BodyKind.RESIDENTS_COUNCIL]


def test_representatives_20_of_30_not_quorate_21_is() -> None:
    failed = evaluate_meeting(REPS, Attendance(30, 20), Vote(20, 0, 0))
    assert not failed.quorate and failed.passed is None and not failed.succeeded
    assert failed.quorum_needed == 21
    assert translate(failed.summary(), "zh_CN") == "未达法定人数（至少需21人），会议无效"
    assert "needs at least 21" in translate(failed.summary(), "en")
    ok = evaluate_meeting(REPS, Attendance(30, 21), Vote(11, 10, 0))
    assert ok.quorate and ok.passed and ok.succeeded


def test_representatives_majority_of_present() -> None:
    assert (
        evaluate_meeting(REPS, Attendance(30, 22), Vote(11, 11, 0)).passed is False
    )  # exactly half
    assert evaluate_meeting(REPS, Attendance(30, 22), Vote(12, 5, 5)).passed is True
    assert evaluate_meeting(REPS, Attendance(30, 22), Vote(12, 5, 5)).votes_needed == 12


def test_villagers_meeting_by_adults_or_households() -> None:
    assert not evaluate_meeting(VILLAGERS, Attendance(400, 200, "adults")).quorate
    assert evaluate_meeting(VILLAGERS, Attendance(400, 201, "adults")).quorate
    assert evaluate_meeting(
        VILLAGERS, Attendance(120, 80, "households")
    ).quorate  # two thirds, inclusive
    assert not evaluate_meeting(VILLAGERS, Attendance(120, 79, "households")).quorate
    with pytest.raises(ValidationError):
        evaluate_meeting(VILLAGERS, Attendance(120, 80, "members"))


def test_party_members_quorum_inclusive_and_majority_of_expected() -> None:
    assert evaluate_meeting(PARTY, Attendance(30, 20)).quorate
    assert not evaluate_meeting(PARTY, Attendance(30, 19)).quorate
    # 20 present, 15 in favour: 15 of 20 present would pass, but not of 30 expected.
    assert evaluate_meeting(PARTY, Attendance(30, 20), Vote(15, 5, 0)).passed is False
    assert evaluate_meeting(PARTY, Attendance(30, 20), Vote(16, 4, 0)).passed is True


def test_council_default_exact_half() -> None:
    assert not evaluate_meeting(COUNCIL, Attendance(10, 5)).quorate
    outcome = evaluate_meeting(COUNCIL, Attendance(10, 6), Vote(3, 3, 0))
    assert outcome.quorate and outcome.passed is False
    assert evaluate_meeting(COUNCIL, Attendance(10, 6), Vote(4, 1, 1)).passed


def test_quorum_needed_for_live_hints() -> None:
    assert quorum_needed(REPS, 30) == 21
    assert quorum_needed(VILLAGERS, 120, "households") == 80


@pytest.mark.parametrize(
    ("attendance", "vote", "field"),
    [
        (Attendance(30, 21), Vote(15, 5, 2), "in_favour"),  # 22 votes, 21 present
        (Attendance(30, 31), None, "present"),
        (Attendance(0, 0), None, "expected"),
        (Attendance(30, -1), None, "present"),
        (Attendance(30, 21), Vote(-1, 0, 0), "in_favour"),
        (Attendance(30, 21), Vote(1, -1, 0), "against"),
        (Attendance(3, 2, attendees=("甲", "乙", "丙")), None, "attendees"),
        (
            Attendance(3, 2, attendees=("甲", "乙")),
            Vote(1, 1, 0, by_name=(("甲", "for"), ("甲", "against"))),
            "by_name",
        ),
        (Attendance(3, 2), Vote(2, 0, 0, by_name=(("甲", "for"), ("乙", "against"))), "by_name"),
        (
            Attendance(3, 2, attendees=("甲", "乙")),
            Vote(1, 0, 0, by_name=(("丙", "for"),)),
            "by_name",
        ),
    ],
)
def test_vote_arithmetic_is_checked(attendance: Attendance, vote: Vote | None, field: str) -> None:
    with pytest.raises(VoteArithmetic) as info:
        evaluate_meeting(REPS, attendance, vote)
    assert info.value.field == field
    assert info.value.message()


def test_non_integer_counts_are_validation_errors() -> None:
    with pytest.raises(ValidationError) as info:
        evaluate_meeting(REPS, Attendance(30, True), None)
    assert info.value.field == "present"


def test_named_vote_that_adds_up() -> None:
    attendance = Attendance(3, 3, attendees=("甲", "乙", "丙"))
    vote = Vote(2, 0, 1, by_name=(("甲", "for"), ("乙", "for"), ("丙", "abstain")))
    assert evaluate_meeting(COUNCIL, attendance, vote).passed


def test_attendance_ratio_is_exact() -> None:
    a = Attendance(30, 21)
    assert a.ratio.numerator == 7 and a.ratio.denominator == 10
    assert a.ratio_percent() == "70.0%"
    assert Attendance(3, 2).ratio_percent() == "66.7%"


def test_require_success_names_the_failure() -> None:
    attendance = Attendance(30, 20)
    with pytest.raises(NotQuorate) as info:
        require_success(evaluate_meeting(REPS, attendance), attendance)
    assert info.value.field == "present" and "21" in info.value.message()
    assert info.value.params == {"present": 20, "expected": 30, "needed": 21}
    attendance = Attendance(30, 25)
    with pytest.raises(VoteRejected):
        require_success(evaluate_meeting(REPS, attendance, Vote(10, 15, 0)), attendance)


@given(
    expected=st.integers(1, 300),
    data=st.data(),
)
def test_outcome_matches_the_rule_for_any_valid_counts(expected: int, data: st.DataObject) -> None:
    present = data.draw(st.integers(0, expected))
    in_favour = data.draw(st.integers(0, present))
    against = data.draw(st.integers(0, present - in_favour))
    abstain = data.draw(st.integers(0, present - in_favour - against))
    outcome = evaluate_meeting(
        REPS, Attendance(expected, present), Vote(in_favour, against, abstain)
    )
    assert outcome.quorate == (3 * present > 2 * expected)
    if outcome.quorate:
        assert outcome.passed == (2 * in_favour > present)
    else:
        assert outcome.passed is None


@given(
    st.integers(1, 200),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 200),
)
def test_votes_never_exceed_present(expected: int, present: int, a: int, b: int, c: int) -> None:
    try:
        evaluate_meeting(COUNCIL, Attendance(expected, present), Vote(a, b, c))
    except VoteArithmetic:
        assert present > expected or a + b + c > present
    else:
        assert present <= expected and a + b + c <= present
