"""Weddings and funerals (红白事): the village standard and the events the council registers.

DOMAIN.md: the weddings-and-funerals council sets the village standard (a cap on
banquet tables, on cost, on gift money) and registers each event it handles,
with whether the standard was kept. Whether it was kept is computed from the
standard, never typed. Registrations name families: never public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.organisation import BodyKind
from village_app.i18n import N_, Message

#: Kind -> its name (a msgid).
CEREMONY_KINDS: dict[str, str] = {"wedding": N_("婚事"), "funeral": N_("丧事")}
#: The council that sets the standard and registers each event.
CEREMONY_COUNCIL: Final = BodyKind.WEDDINGS_FUNERALS_COUNCIL


#: What each kind of breach says (msgids; the numbers are its parameters).
BREACH_TEXTS: dict[str, str] = {
    "tables": N_("宴席%(actual)s桌，超过标准%(cap)s桌"),
    "cost_per_table": N_("每桌%(actual)s元，超过标准%(cap)s元"),
    "gift": N_("礼金%(actual)s元，超过标准%(cap)s元"),
}


@dataclass(frozen=True)
class Breach:
    """A cap of the standard an event went over: which, by how much. (Registrations stored by
    older versions carry the sentence itself, kept as ``text``.)"""

    what: str
    actual: int = 0
    cap: int = 0
    text: str = ""

    @property
    def message(self) -> Message:
        msgid = BREACH_TEXTS.get(self.what)
        return (
            Message(msgid, {"actual": self.actual, "cap": self.cap})
            if msgid
            else Message(self.text)
        )


@dataclass(frozen=True)
class CeremonyLimits:
    """One kind's caps; ``None`` means no cap."""

    max_tables: int | None = None
    max_cost_per_table: int | None = None  # yuan
    max_gift: int | None = None  # yuan per guest


def limits_from_data(data: Mapping[str, Any] | None) -> dict[str, CeremonyLimits]:
    """``{"wedding": {"max_tables": 15, ...}, "funeral": {...}}`` as stored on the 红白事标准 rule."""
    limits: dict[str, CeremonyLimits] = {}
    for kind, caps in (data or {}).items():
        if kind not in CEREMONY_KINDS or not isinstance(caps, Mapping):
            raise ValidationError(N_("简办标准的格式不正确"), field="limits")
        limits[kind] = CeremonyLimits(
            **{
                k: int(v)
                for k, v in caps.items()
                if k in ("max_tables", "max_cost_per_table", "max_gift")
            }
        )
    return limits


@dataclass(frozen=True)
class Ceremony:
    kind: str  # wedding | funeral
    family: str  # the household (private)
    held_on: date
    tables: int
    cost_per_table: int = 0
    gift: int = 0  # the highest gift accepted, yuan
    registered_by: str = ""  # the council member who registered it
    note: str = ""
    kept: bool | None = None  # computed by register_ceremony
    breaches: tuple[Breach, ...] = ()  # computed: each cap it went over
    id: str = ""
    created_at: str = ""
    created_by: str = ""
    corrects: str | None = None
    reason: str = ""


def check_ceremony(
    ceremony: Ceremony, limits: Mapping[str, CeremonyLimits]
) -> tuple[bool, tuple[Breach, ...]]:
    """Whether the event kept the standard, and each cap it went over."""
    caps = limits.get(ceremony.kind, CeremonyLimits())
    breaches = [
        Breach(what, actual, cap)
        for what, actual, cap in (
            ("tables", ceremony.tables, caps.max_tables),
            ("cost_per_table", ceremony.cost_per_table, caps.max_cost_per_table),
            ("gift", ceremony.gift, caps.max_gift),
        )
        if cap is not None and actual > cap
    ]
    return not breaches, tuple(breaches)


def register_ceremony(
    ceremony: Ceremony, limits: Mapping[str, CeremonyLimits], problems: Problems | None = None
) -> Ceremony:
    """Validate a registration (every field's error at once, with those already in
    ``problems``) and compute whether the standard was kept."""
    problems = problems if problems is not None else Problems()
    if ceremony.kind not in CEREMONY_KINDS:
        problems.add(ValidationError(N_("请选择婚事或丧事"), field="kind"))
    if not ceremony.family.strip() and not problems.about("family"):
        problems.add(ValidationError(N_("请填写户主姓名"), field="family"))
    for name, label in (
        ("tables", N_("桌数")),
        ("cost_per_table", N_("每桌标准")),
        ("gift", N_("礼金")),
    ):
        value = getattr(ceremony, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.add(
                ValidationError(
                    N_("%(label)s：请填写 0 或更大的整数"), {"label": Message(label)}, field=name
                )
            )
    problems.raise_any()
    kept, breaches = check_ceremony(ceremony, limits)
    return replace(ceremony, family=ceremony.family.strip(), kept=kept, breaches=breaches)
