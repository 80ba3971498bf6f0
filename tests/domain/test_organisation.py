from __future__ import annotations

from datetime import date

import pytest

from village_app.domain import (
    BodyKind,
    Ineligible,
    Member,
    ValidationError,
    Village,
    active_members,
    body_name,
    validate_member,
    validate_village,
)
from village_app.i18n import gettext_for

DAY = date(2026, 5, 1)
ROSTER = [
    Member(
        "villagers_committee",
        "林国强",
        "主任",
        date(2024, 1, 1),
        date(2028, 12, 31),
        id="m1",
        close_relatives=("林小梅",),
    ),
    Member("villagers_committee", "陈秀英", "委员", date(2024, 1, 1), date(2028, 12, 31), id="m2"),
    Member(
        "supervision_committee", "赵建华", "主任", date(2024, 1, 1), None, convenor=True, id="m3"
    ),
]


def test_village_code_is_twelve_digits() -> None:
    assert validate_village(Village("330100000001", "青禾村", "东溪镇", "青禾县"))
    with pytest.raises(ValidationError) as info:
        validate_village(Village("3301", "青禾村", "东溪镇", "青禾县"))
    assert info.value.field == "code"
    with pytest.raises(ValidationError) as info:
        validate_village(Village("330100000001", "青禾村", " ", "青禾县"))
    assert info.value.field == "township"


def test_committee_member_may_not_supervise() -> None:
    with pytest.raises(Ineligible) as info:
        validate_member(Member("supervision_committee", "陈秀英", "委员", DAY), ROSTER)
    assert info.value.field == "name" and "m2" in info.value.ids
    assert "村民委员会" in info.value.message()


def test_close_relatives_may_not_supervise_either_direction() -> None:
    # The committee member declared the relation.
    with pytest.raises(Ineligible) as info:
        validate_member(Member("supervision_committee", "林小梅", "委员", DAY), ROSTER)
    assert info.value.field == "close_relatives"
    # The candidate declared it.
    with pytest.raises(Ineligible):
        validate_member(
            Member("supervision_committee", "王丽", "委员", DAY, close_relatives=("陈秀英",)),
            ROSTER,
        )


def test_someone_else_may_supervise_and_past_terms_do_not_count() -> None:
    assert validate_member(Member("supervision_committee", "王丽", "委员", DAY), ROSTER)
    past = [
        Member(
            "villagers_committee", "周平", "委员", date(2018, 1, 1), date(2020, 12, 31), id="old"
        )
    ]
    assert validate_member(Member("supervision_committee", "周平", "委员", DAY), past)


def test_the_rule_also_guards_new_committee_seats() -> None:
    with pytest.raises(Ineligible):
        validate_member(Member("villagers_committee", "赵建华", "委员", DAY), ROSTER)


def test_one_convenor_per_body() -> None:
    with pytest.raises(ValidationError) as info:
        validate_member(Member("supervision_committee", "王丽", "委员", DAY, convenor=True), ROSTER)
    assert info.value.field == "convenor"
    # Editing the convenor themself is fine.
    assert validate_member(ROSTER[2], ROSTER)


@pytest.mark.parametrize(
    ("member", "field"),
    [
        (Member("residents_council", " ", "成员"), "name"),
        (Member("residents_council", "甲", " "), "role"),
        (Member("residents_council", "甲", "成员", date(2026, 1, 1), date(2025, 1, 1)), "term_end"),
        (Member("no_such_body", "甲", "成员"), "body"),
    ],
)
def test_member_fields(member: Member, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_member(member, ())
    assert info.value.field == field


def test_terms_and_names() -> None:
    assert [m.id for m in active_members(ROSTER, "villagers_committee", DAY)] == ["m1", "m2"]
    assert active_members(ROSTER, "villagers_committee", date(2029, 1, 1)) == []
    assert body_name(BodyKind.MORAL_REVIEW_COUNCIL) == "道德评议会"  # the msgid
    assert gettext_for("en").gettext(body_name("worthies_association")) == "Worthies' association"
