"""A body's charter (章程) and its own quorum and majority rule, as the secretary edits them.

A charter's rule is chosen among the thresholds the law and common practice word by name (超过
半数, 三分之二以上...), never typed as a number. The villagers' meeting and the representatives'
meeting follow the Organic Law (art. 22, 26): their rules are not a village's to change. Every
edit keeps what the charter said before (``history``), as a roster's edits do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.matters import MAX_TEXT
from village_app.domain.organisation import BodyKind
from village_app.domain.rules import (
    MORE_THAN_HALF,
    MORE_THAN_TWO_THIRDS,
    TWO_THIRDS,
    BodyRule,
    Threshold,
)
from village_app.i18n import N_

#: The thresholds a charter may choose, by key (stable in forms), in the law's words.
THRESHOLDS: Final[dict[str, Threshold]] = {
    "more_than_half": MORE_THAN_HALF,
    "at_least_two_thirds": TWO_THIRDS,
    "more_than_two_thirds": MORE_THAN_TWO_THIRDS,
    "at_least_three_quarters": Threshold(Fraction(3, 4), strict=False),
}

#: Meetings whose rule the law fixes (组织法 art. 22 and 26): shown, never edited.
LAW_FIXED: Final[frozenset[str]] = frozenset({BodyKind.VILLAGERS_MEETING, BodyKind.REPRESENTATIVES})

#: Whom a vote is counted against: those present, or all expected.
MAJORITY_BASES: Final[dict[str, str]] = {
    "present": N_("实到人数"),
    "expected": N_("应到人数"),
}


def rule_editable(kind: str) -> bool:
    return kind not in LAW_FIXED


def threshold_key(threshold: Threshold) -> str:
    """The choice a threshold is (``""``: one no choice offers, kept as it is)."""
    return next((k for k, t in THRESHOLDS.items() if t == threshold), "")


def charter_rule(quorum: str, majority: str, majority_of: str, problems: Problems) -> BodyRule:
    """The rule chosen in the form (its members counted); each unknown choice is noted in
    ``problems`` beside its field and the default stands in."""
    if quorum not in THRESHOLDS:
        problems.add(ValidationError(N_("请选择出席人数的要求"), field="quorum"))
    if majority not in THRESHOLDS:
        problems.add(ValidationError(N_("请选择表决通过的要求"), field="majority"))
    if majority_of not in MAJORITY_BASES:
        problems.add(ValidationError(N_("请选择按实到还是应到人数计算"), field="majority_of"))
    return BodyRule(
        quorum={"members": THRESHOLDS.get(quorum, MORE_THAN_HALF)},
        majority=THRESHOLDS.get(majority, MORE_THAN_HALF),
        majority_of="expected" if majority_of == "expected" else "present",
        source_zh="本村章程",
        source_en="the village's charter",
    )


def check_charter(text: str, problems: Problems) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        problems.add(
            ValidationError(N_("内容不能超过%(max)s字"), {"max": MAX_TEXT}, field="charter")
        )
    return text


@dataclass(frozen=True)
class CharterVersion:
    """What a charter and its rule said before an edit, who replaced it and when."""

    at: str
    by: str
    charter: str
    rule: Mapping[str, Any] | None


def charter_history(raw: object) -> tuple[CharterVersion, ...]:
    """A body's earlier versions, read leniently (an entry of another shape is left out)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return ()
    found = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            continue
        at, by, charter, rule = (entry.get(k) for k in ("at", "by", "charter", "rule"))
        if isinstance(at, str) and isinstance(by, str) and isinstance(charter, str):
            found.append(
                CharterVersion(at, by, charter, dict(rule) if isinstance(rule, Mapping) else None)
            )
    return tuple(found)
