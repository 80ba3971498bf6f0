"""The county registry: townships, villages and staff, read from a TOML file.

The registry is what ``county init`` provisions from and what the county pages group by.
Every mistake in it is reported with where it is (``villages[3].code``), all at once, so a
clerk fixing the file sees every problem in one run."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from village_app.county import roles

_VILLAGE_CODE: Final = re.compile(r"[0-9]{12}")
_COUNTY_CODE: Final = re.compile(r"[0-9]{6}")
_TOWNSHIP_CODE: Final = re.compile(r"[0-9]{3}")
#: CouchDB user names end up in ``org.couchdb.user:<name>`` and in ``created_by``.
_USER_NAME: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")

STAFF_ROLES: Final = ("county_admin", "county_reviewer", "township_reviewer", "secretary", "kiosk")


class RegistryError(ValueError):
    """The registry file cannot be used; ``problems`` lists every mistake found."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class Township:
    code: str  # 3 digits within the county
    name: str


@dataclass(frozen=True)
class Village:
    code: str  # 12 digits
    name: str
    township: str  # the township's 3-digit code

    @property
    def database(self) -> str:
        return roles.village_database(self.code)


@dataclass(frozen=True)
class Staff:
    name: str  # the CouchDB account name
    display: str
    role: str
    village: str | None = None
    townships: tuple[str, ...] = ()

    def couch_roles(self, county_code: str) -> list[str]:
        """The roles this person's CouchDB account carries."""
        if self.role == "secretary":
            return [roles.village_role(str(self.village))]
        if self.role == "kiosk":
            return [roles.kiosk_role(str(self.village))]
        if self.role == "township_reviewer":
            return [roles.township_role(county_code + t) for t in self.townships]
        return [self.role]


@dataclass(frozen=True)
class Registry:
    name: str
    code: str
    townships: tuple[Township, ...]
    villages: tuple[Village, ...]
    staff: tuple[Staff, ...] = ()
    _by_code: dict[str, Village] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update((v.code, v) for v in self.villages)

    def village(self, code: str) -> Village | None:
        return self._by_code.get(code)

    def township(self, code: str) -> Township | None:
        return next((t for t in self.townships if t.code == code), None)

    def villages_of(self, township: str) -> list[Village]:
        return [v for v in self.villages if v.township == township]

    def staff_member(self, name: str) -> Staff | None:
        return next((s for s in self.staff if s.name == name), None)


def load(path: Path) -> Registry:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(str(path), [f"cannot read the file ({exc.strerror or exc})"]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(str(path), [f"not valid TOML ({exc})"]) from exc
    return parse(raw, source=str(path))


def parse(raw: Mapping[str, Any], *, source: str = "registry") -> Registry:
    problems: list[str] = []

    def text(table: Any, key: str, where: str, pattern: re.Pattern[str] | None = None) -> str:
        value = table.get(key) if isinstance(table, Mapping) else None
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}.{key}: missing (a non-empty string)")
            return ""
        if pattern is not None and not pattern.fullmatch(value):
            problems.append(f"{where}.{key}: {value!r} is not a valid code")
        return value.strip()

    def tables(key: str) -> list[Any]:
        value = raw.get(key, [])
        if not isinstance(value, list):
            problems.append(f"{key}: must be a list of tables ([[{key}]])")
            return []
        return value

    county = raw.get("county")
    name = text(county, "name", "county")
    code = text(county, "code", "county", _COUNTY_CODE)

    townships: list[Township] = []
    for i, t in enumerate(tables("townships")):
        where = f"townships[{i}]"
        townships.append(Township(text(t, "code", where, _TOWNSHIP_CODE), text(t, "name", where)))
    _no_duplicates([t.code for t in townships], "township code", problems)
    township_codes = {t.code for t in townships}

    villages: list[Village] = []
    for i, v in enumerate(tables("villages")):
        where = f"villages[{i}]"
        village = Village(
            text(v, "code", where, _VILLAGE_CODE),
            text(v, "name", where),
            text(v, "township", where),
        )
        # A village keeps its code when its township merges into another: the registry's
        # township, not the code's digits, says whose reviewers review it.
        if village.township and village.township not in township_codes:
            problems.append(f"{where}.township: no township with code {village.township!r}")
        villages.append(village)
    _no_duplicates([v.code for v in villages], "village code", problems)
    village_codes = {v.code for v in villages}

    staff: list[Staff] = []
    for i, s in enumerate(tables("staff")):
        where = f"staff[{i}]"
        person = _staff(s, where, problems, text, village_codes, township_codes)
        if person is not None:
            staff.append(person)
    _no_duplicates([s.name for s in staff], "staff name", problems)

    if problems:
        raise RegistryError(source, problems)
    return Registry(name, code, tuple(townships), tuple(villages), tuple(staff))


def _staff(
    s: Any,
    where: str,
    problems: list[str],
    text: Any,
    village_codes: set[str],
    township_codes: set[str],
) -> Staff | None:
    name = text(s, "name", where, _USER_NAME)
    role = text(s, "role", where)
    if role and role not in STAFF_ROLES:
        problems.append(f"{where}.role: {role!r} is not one of {', '.join(STAFF_ROLES)}")
        return None
    display = s.get("display", name) if isinstance(s, Mapping) else name
    village = s.get("village") if isinstance(s, Mapping) else None
    townships = s.get("townships", []) if isinstance(s, Mapping) else []
    if role in ("secretary", "kiosk") and village not in village_codes:
        problems.append(f"{where}.village: a {role} needs the code of a village in the registry")
    if role == "township_reviewer":
        if not isinstance(townships, list) or not townships:
            problems.append(f"{where}.townships: a township reviewer needs at least one township")
            townships = []
        for t in townships:
            if t not in township_codes:
                problems.append(f"{where}.townships: no township with code {t!r}")
    return Staff(
        name,
        str(display),
        role,
        village if isinstance(village, str) else None,
        tuple(str(t) for t in townships) if isinstance(townships, list) else (),
    )


def _no_duplicates(values: Sequence[str], what: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value and value in seen:
            problems.append(f"duplicate {what} {value!r}")
        seen.add(value)
