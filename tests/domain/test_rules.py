from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from village_app.domain import (
    DEFAULT_RULES,
    BodyKind,
    BodyRule,
    Threshold,
    ValidationError,
    rule_for,
    rules_with_overrides,
)
from village_app.domain.rules import MORE_THAN_HALF, MORE_THAN_TWO_THIRDS, TWO_THIRDS
from village_app.i18n import translate


def test_more_than_two_thirds_is_strict() -> None:
    assert not MORE_THAN_TWO_THIRDS.met(20, 30)
    assert MORE_THAN_TWO_THIRDS.met(21, 30)
    assert MORE_THAN_TWO_THIRDS.minimum(30) == 21


def test_two_thirds_is_inclusive() -> None:
    assert TWO_THIRDS.met(20, 30)
    assert not TWO_THIRDS.met(19, 30)
    assert TWO_THIRDS.minimum(30) == 20
    assert TWO_THIRDS.minimum(31) == 21  # 2/3 of 31 is 20.67


def test_more_than_half_at_exact_halves() -> None:
    assert not MORE_THAN_HALF.met(5, 10)
    assert MORE_THAN_HALF.met(6, 10)
    assert MORE_THAN_HALF.met(6, 11)  # 5.5
    assert not MORE_THAN_HALF.met(5, 11)
    assert MORE_THAN_HALF.minimum(10) == 6 and MORE_THAN_HALF.minimum(11) == 6


def test_empty_base_never_meets() -> None:
    assert not MORE_THAN_HALF.met(0, 0)
    assert not TWO_THIRDS.met(0, 0)


@given(
    num=st.integers(1, 9),
    den=st.integers(1, 9),
    strict=st.booleans(),
    base=st.integers(1, 500),
)
def test_minimum_is_the_smallest_count_that_meets(
    num: int, den: int, strict: bool, base: int
) -> None:
    fraction = Fraction(num, den)
    if fraction > 1:
        fraction = 1 / fraction
    t = Threshold(fraction, strict)
    n = t.minimum(base)
    assert t.met(n, base)
    assert n == 1 or not t.met(n - 1, base)


def test_defaults_follow_domain_md() -> None:
    reps = DEFAULT_RULES[BodyKind.REPRESENTATIVES]
    assert reps.quorum["members"] == Threshold(Fraction(2, 3), strict=True)
    assert reps.majority == MORE_THAN_HALF and reps.majority_of == "present"
    villagers = DEFAULT_RULES[BodyKind.VILLAGERS_MEETING]
    assert villagers.quorum == {"adults": MORE_THAN_HALF, "households": TWO_THIRDS}
    party = DEFAULT_RULES[BodyKind.PARTY_MEMBERS]
    assert party.quorum["members"] == TWO_THIRDS and party.majority_of == "expected"
    for council in (
        BodyKind.RESIDENTS_COUNCIL,
        BodyKind.WEDDINGS_FUNERALS_COUNCIL,
        BodyKind.MORAL_REVIEW_COUNCIL,
        BodyKind.WORTHIES_ASSOCIATION,
    ):
        rule = DEFAULT_RULES[council]
        assert rule.quorum["members"] == MORE_THAN_HALF and rule.majority == MORE_THAN_HALF
    assert set(DEFAULT_RULES) == set(BodyKind)


def test_rule_data_round_trip_and_override() -> None:
    custom = BodyRule(quorum={"members": Threshold(Fraction(3, 4), False)}, majority=TWO_THIRDS)
    data = custom.to_data()
    assert data["quorum"]["members"] == {"fraction": "3/4", "strict": False}
    assert BodyRule.from_data(data) == custom
    book = rules_with_overrides({"residents_council": data})
    assert rule_for("residents_council", book) == custom
    assert rule_for("representatives", book) == DEFAULT_RULES[BodyKind.REPRESENTATIVES]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"quorum": {"members": {"fraction": "3/2"}}, "majority": {"fraction": "1/2"}},
        {"quorum": {"members": {"fraction": "x"}}, "majority": {"fraction": "1/2"}},
        {"quorum": {"nobody": {"fraction": "1/2"}}, "majority": {"fraction": "1/2"}},
        {
            "quorum": {"members": {"fraction": "1/2"}},
            "majority": {"fraction": "1/2"},
            "majority_of": "all",
        },
    ],
)
def test_malformed_rule_data_is_a_named_error(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as info:
        BodyRule.from_data(data)
    assert info.value.field == "rule"


def test_unknown_basis_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        DEFAULT_RULES[BodyKind.REPRESENTATIVES].quorum_for("households")
    assert info.value.field == "basis"
    assert "成员" in info.value.message()


def test_descriptions() -> None:
    assert translate(MORE_THAN_TWO_THIRDS.describe(), "zh_CN") == "超过三分之二"
    assert translate(TWO_THIRDS.describe(), "zh_CN") == "不少于三分之二"
    assert translate(TWO_THIRDS.describe(), "en") == "at least 2/3"
    assert translate(Threshold(Fraction(3, 5)).describe(), "zh_CN") == "超过3/5"
    clauses = [translate(c, "zh_CN") for c in DEFAULT_RULES[BodyKind.REPRESENTATIVES].describe()]
    assert clauses == ["超过三分之二应到人数出席方为有效", "赞成票超过半数实到人数方为通过"]
    villagers = [translate(c, "en") for c in DEFAULT_RULES[BodyKind.VILLAGERS_MEETING].describe()]
    assert villagers[1] == (
        "valid with at least 2/3 of those expected present (counting household representatives)"
    )
