from __future__ import annotations

from datetime import date

import pytest

from village_app.domain import (
    Ceremony,
    ValidationError,
    check_public,
    limits_from_data,
    register_ceremony,
)
from village_app.domain.ceremonies import Breach
from village_app.i18n import translate

LIMITS = limits_from_data(
    {
        "wedding": {"max_tables": 15, "max_cost_per_table": 600, "max_gift": 200},
        "funeral": {"max_tables": 10},
    }
)


def test_kept_at_the_caps_and_broken_above_them() -> None:
    at_caps = register_ceremony(Ceremony("wedding", "林家", date(2026, 5, 1), 15, 600, 200), LIMITS)
    assert at_caps.kept is True and at_caps.breaches == ()
    over = register_ceremony(Ceremony("wedding", "林家", date(2026, 5, 1), 16, 601, 500), LIMITS)
    assert over.kept is False
    assert over.breaches == (
        Breach("tables", 16, 15),
        Breach("cost_per_table", 601, 600),
        Breach("gift", 500, 200),
    )
    # The domain says which cap and by how much; the words come from the catalog.
    assert [translate(b.message, "zh_CN") for b in over.breaches] == [
        "宴席16桌，超过标准15桌",
        "每桌601元，超过标准600元",
        "礼金500元，超过标准200元",
    ]
    assert translate(over.breaches[0].message, "en").startswith("16 tables")


def test_missing_caps_are_no_caps() -> None:
    funeral = register_ceremony(
        Ceremony("funeral", "陈家", date(2026, 5, 1), 10, 9999, 9999), LIMITS
    )
    assert funeral.kept is True
    assert (
        register_ceremony(Ceremony("funeral", "陈家", date(2026, 5, 1), 11), LIMITS).kept is False
    )
    assert register_ceremony(Ceremony("wedding", "陈家", date(2026, 5, 1), 99), {}).kept is True


@pytest.mark.parametrize(
    ("ceremony", "field"),
    [
        (Ceremony("party", "林家", date(2026, 5, 1), 1), "kind"),
        (Ceremony("wedding", " ", date(2026, 5, 1), 1), "family"),
        (Ceremony("wedding", "林家", date(2026, 5, 1), -1), "tables"),
        (Ceremony("wedding", "林家", date(2026, 5, 1), 1, gift=True), "gift"),
    ],
)
def test_fields(ceremony: Ceremony, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        register_ceremony(ceremony, LIMITS)
    assert info.value.field == field


def test_malformed_limits_and_privacy() -> None:
    with pytest.raises(ValidationError):
        limits_from_data({"birthday": {"max_tables": 3}})
    assert check_public({"_id": "ceremony:1:a", "type": "ceremony", "family": "林家"}, "1")
