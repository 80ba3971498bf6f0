"""Quorum and majority rules, as data.

A :class:`Threshold` is a fraction and whether it is strict. DOMAIN.md: "More
than" is strict (超过 / 过半数): more than 2/3 of 30 needs 21, since 20 is exactly
2/3. Where DOMAIN.md says just "two thirds" (the party members' meeting, the
household representatives of a villagers' meeting, following the law's
"三分之二以上", which includes the number itself) the threshold is inclusive:
20 of 30 is enough. All arithmetic is on :class:`fractions.Fraction`; no floats.

Every body has a :class:`BodyRule`; :data:`DEFAULT_RULES` holds DOMAIN.md's
defaults, and a village overrides any of them per body with
:func:`rules_with_overrides` (a council's charter sets its own quorum).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from village_app.domain.errors import ValidationError
from village_app.domain.organisation import BodyKind, named_body
from village_app.i18n import N_, Message, Param

#: How attendance was counted: the body's members, villagers aged 18+, or household representatives.
Basis = Literal["members", "adults", "households"]
BASES: tuple[Basis, ...] = ("members", "adults", "households")
#: Basis -> its name (a msgid).
BASIS_NAMES: dict[str, str] = {
    "members": N_("成员"),
    "adults": N_("18周岁以上村民"),
    "households": N_("户代表"),
}

#: The shares the law words by name (msgids); any other is written as n/d.
_FRACTION_NAMES = {
    Fraction(1, 2): N_("半数"),
    Fraction(2, 3): N_("三分之二"),
    Fraction(3, 4): N_("四分之三"),
    Fraction(4, 5): N_("五分之四"),
}


@dataclass(frozen=True)
class Threshold:
    fraction: Fraction
    strict: bool = True  # True: more than (超过); False: at least (不少于)

    def met(self, count: int, base: int) -> bool:
        """Whether ``count`` out of ``base`` reaches the threshold (never with an empty base)."""
        if base <= 0:
            return False
        limit = self.fraction * base
        return count > limit if self.strict else count >= limit

    def minimum(self, base: int) -> int:
        """The smallest count out of ``base`` that meets the threshold."""
        limit = self.fraction * base
        return math.floor(limit) + 1 if self.strict else max(math.ceil(limit), 1)

    def describe(self) -> Message:
        """ "More than two thirds" (strict) or "at least two thirds", to be translated."""
        name = _FRACTION_NAMES.get(self.fraction)
        share: Param = (
            Message(name) if name else f"{self.fraction.numerator}/{self.fraction.denominator}"
        )
        return Message(
            N_("超过%(share)s") if self.strict else N_("不少于%(share)s"), {"share": share}
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "fraction": f"{self.fraction.numerator}/{self.fraction.denominator}",
            "strict": self.strict,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Threshold:
        try:
            fraction = Fraction(str(data["fraction"]))
        except (KeyError, ValueError, ZeroDivisionError) as exc:
            raise ValidationError(N_("规则中的比例格式不正确"), field="rule") from exc
        if not 0 < fraction <= 1:
            raise ValidationError(N_("规则中的比例应在0和1之间"), field="rule")
        return cls(fraction, bool(data.get("strict", True)))


def _basis_name(basis: str) -> Param:
    name = BASIS_NAMES.get(basis)
    return Message(name) if name else basis


MORE_THAN_HALF = Threshold(Fraction(1, 2), strict=True)
MORE_THAN_TWO_THIRDS = Threshold(Fraction(2, 3), strict=True)
TWO_THIRDS = Threshold(Fraction(2, 3), strict=False)

MajorityBase = Literal["present", "expected"]


@dataclass(frozen=True)
class BodyRule:
    """When a meeting of a body is valid (``quorum``, per way of counting) and when a vote passes."""

    quorum: Mapping[str, Threshold]  # basis -> threshold; any basis listed may be used
    majority: Threshold
    majority_of: MajorityBase = "present"  # in favour counted against those present or expected
    # Where the rule comes from, stored with it on every meeting record (``to_data``) so that
    # the record names its law on its own, for anyone reading the database without the app.
    # Document data in both languages, like a village's own rules read back from its
    # documents; the pages never show it.
    source_zh: str = ""
    source_en: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def quorum_for(self, basis: str) -> Threshold:
        try:
            return self.quorum[basis]
        except KeyError:
            allowed = tuple(_basis_name(b) for b in self.quorum)
            raise ValidationError(
                N_("此会议应按%(bases)s计算应到人数"), {"bases": allowed}, field="basis"
            ) from None

    def describe(self) -> tuple[Message, ...]:
        """The rule in words, to be translated: when a meeting is valid, for each way its
        attendance may be counted, then when a vote passes."""
        clauses = [
            Message(N_("%(threshold)s应到人数出席方为有效"), {"threshold": t.describe()})
            if basis == "members"
            else Message(
                N_("%(threshold)s应到人数出席方为有效（按%(basis)s）"),
                {"threshold": t.describe(), "basis": _basis_name(basis)},
            )
            for basis, t in self.quorum.items()
        ]
        majority = (
            N_("赞成票%(threshold)s实到人数方为通过")
            if self.majority_of == "present"
            else N_("赞成票%(threshold)s应到人数方为通过")
        )
        clauses.append(Message(majority, {"threshold": self.majority.describe()}))
        return tuple(clauses)

    def to_data(self) -> dict[str, Any]:
        return {
            "quorum": {basis: t.to_data() for basis, t in self.quorum.items()},
            "majority": self.majority.to_data(),
            "majority_of": self.majority_of,
            "source_zh": self.source_zh,
            "source_en": self.source_en,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> BodyRule:
        quorum = data.get("quorum") or {}
        if not isinstance(quorum, Mapping) or not quorum or any(b not in BASES for b in quorum):
            raise ValidationError(N_("规则中的法定人数设置不正确"), field="rule")
        majority_of = data.get("majority_of", "present")
        if majority_of not in ("present", "expected"):
            raise ValidationError(N_("规则中的表决基数不正确"), field="rule")
        return cls(
            quorum={basis: Threshold.from_data(t) for basis, t in quorum.items()},
            majority=Threshold.from_data(data.get("majority") or {}),
            majority_of=majority_of,
            source_zh=str(data.get("source_zh", "")),
            source_en=str(data.get("source_en", "")),
        )


_COUNCIL_DEFAULT = BodyRule(
    quorum={"members": MORE_THAN_HALF},
    majority=MORE_THAN_HALF,
    majority_of="present",
    source_zh="默认规则：过半数成员出席，赞成票超过实到人数的一半",
    source_en="default: more than half present, more than half of those present in favour",
)

#: DOMAIN.md's defaults, per body.
DEFAULT_RULES: Mapping[BodyKind, BodyRule] = {
    BodyKind.VILLAGERS_MEETING: BodyRule(
        quorum={"adults": MORE_THAN_HALF, "households": TWO_THIRDS},
        majority=MORE_THAN_HALF,
        majority_of="present",
        source_zh="《村民委员会组织法》第二十二条：本村十八周岁以上村民过半数，或三分之二以上户的代表参加；"
        "所作决定经到会人员过半数同意",
        source_en="Organic Law art. 22: more than half of adults, or two thirds of household "
        "representatives; decides by more than half of those present",
    ),
    BodyKind.REPRESENTATIVES: BodyRule(
        quorum={"members": MORE_THAN_TWO_THIRDS},
        majority=MORE_THAN_HALF,
        majority_of="present",
        source_zh="《村民委员会组织法》第二十六条：超过三分之二的组成人员参加方可召开；所作决定经到会人员过半数同意",
        source_en="Organic Law art. 26: more than two thirds present; more than half of those present",
    ),
    BodyKind.PARTY_MEMBERS: BodyRule(
        quorum={"members": TWO_THIRDS},
        majority=MORE_THAN_HALF,
        majority_of="expected",
        source_zh="通行做法：应到党员三分之二（含）以上到会；赞成票超过应到党员的半数",
        source_en="common rule: two thirds of members present (inclusive); more than half of "
        "those expected in favour",
    ),
    BodyKind.PARTY_BRANCH: _COUNCIL_DEFAULT,
    BodyKind.BRANCH_COMMITTEE: _COUNCIL_DEFAULT,
    BodyKind.VILLAGERS_COMMITTEE: _COUNCIL_DEFAULT,
    BodyKind.TWO_COMMITTEES: _COUNCIL_DEFAULT,
    BodyKind.RESIDENTS_COUNCIL: _COUNCIL_DEFAULT,
    BodyKind.WEDDINGS_FUNERALS_COUNCIL: _COUNCIL_DEFAULT,
    BodyKind.MORAL_REVIEW_COUNCIL: _COUNCIL_DEFAULT,
    BodyKind.WORTHIES_ASSOCIATION: _COUNCIL_DEFAULT,
    BodyKind.SUPERVISION_COMMITTEE: _COUNCIL_DEFAULT,
}

#: A village's rules: one per body.
RuleBook = Mapping[str, BodyRule]


def rules_with_overrides(
    overrides: Mapping[str, Mapping[str, Any] | BodyRule] | None = None,
) -> dict[str, BodyRule]:
    """DOMAIN.md's defaults with a village's own rules (e.g. from council charters) on top.
    ``overrides`` maps a body key to a :class:`BodyRule` or its :meth:`BodyRule.to_data`."""
    book: dict[str, BodyRule] = {str(kind): rule for kind, rule in DEFAULT_RULES.items()}
    for key, value in (overrides or {}).items():
        BodyKind(key)  # unknown bodies are a programming error, not user input
        book[key] = value if isinstance(value, BodyRule) else BodyRule.from_data(value)
    return book


def rule_for(body: str, rules: RuleBook | None = None) -> BodyRule:
    book = rules if rules is not None else rules_with_overrides()
    try:
        return book[body]
    except KeyError:
        raise ValidationError(
            N_("没有%(body)s的议事规则"), {"body": named_body(body)}, field="body"
        ) from None
