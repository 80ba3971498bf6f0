"""Ending a service project or a pairing: a day no earlier than its start and a reason, once;
a service after the end is one the village may no longer log."""

from __future__ import annotations

from datetime import date

import pytest

from village_app.domain import Invalid, ValidationError
from village_app.domain.services import (
    AlreadyEnded,
    OrgRef,
    Pairing,
    Project,
    end_pairing,
    end_project,
    served_after_end,
    validate_pairing,
)

ORG = OrgRef("service_org:330102:LAW", "青禾律师事务所", "县律师行业党委", "law_firm")
PROJECT = Project(
    "法律咨询", "service_resource:330102001001:R", ORG, "mediation", date(2026, 3, 1), id="p"
)
PAIRING = Pairing(ORG, date(2026, 1, 1), "每季度一次", id="q")


def test_a_project_ends_once_with_a_day_and_a_reason() -> None:
    ended = end_project(PROJECT, date(2026, 9, 30), "  律所人手不足 ")
    assert (ended.status, ended.ends_on, ended.ended_reason) == (
        "ended",
        date(2026, 9, 30),
        "律所人手不足",
    )
    assert not ended.active
    with pytest.raises(AlreadyEnded):
        end_project(ended, date(2026, 10, 1), "again")
    with pytest.raises(Invalid) as both:
        end_project(PROJECT, None, " ")
    assert {e.field for e in both.value.errors} == {"ended_on", "ended_reason"}
    with pytest.raises(ValidationError) as early:
        end_project(PROJECT, date(2026, 2, 1), "早了")
    assert early.value.field == "ended_on"


def test_an_ended_pairing_lets_the_organisation_pair_again() -> None:
    ended = end_pairing(PAIRING, date(2026, 6, 30), "改与邻村结对")
    assert not ended.active and ended.ended_reason == "改与邻村结对"
    again = Pairing(ORG, date(2026, 7, 1), "每月一次", id="r")
    assert validate_pairing(again, [ended]) == again
    with pytest.raises(ValidationError):
        validate_pairing(again, [PAIRING])


def test_a_service_after_the_end_is_told_apart() -> None:
    assert served_after_end(date(2026, 9, 30), date(2026, 10, 1))
    assert not served_after_end(date(2026, 9, 30), date(2026, 9, 30))
    assert not served_after_end(None, date(2030, 1, 1))
