"""Append-only evidence and its corrections.

A record is never edited. A mistake is corrected by a new record of the same
kind whose ``corrects`` names the record it replaces and whose ``reason`` says
why. :func:`fold_corrections` turns a flat list into chains, one per original
record: the effective version (``current``) and every version it superseded,
so a page can show both.

Two laptops may each correct the same record before they sync; both
corrections are kept, the later one (by ``created_at``, then id) is current,
and the chain lists the other as superseded so nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from village_app.domain.errors import CorrectionInvalid, NotFound, Problems
from village_app.i18n import N_


class Evidence(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def corrects(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def created_at(self) -> str: ...


R = TypeVar("R", bound=Evidence)


def _order(record: Evidence) -> tuple[str, str]:
    return (record.created_at, record.id)


@dataclass(frozen=True)
class Chain(Generic[R]):
    """An original record and its corrections: ``versions`` oldest first, ``current`` effective."""

    versions: tuple[R, ...]

    @property
    def root(self) -> R:
        return self.versions[0]

    @property
    def current(self) -> R:
        superseded = {v.corrects for v in self.versions if v.corrects}
        live = [v for v in self.versions if v.id not in superseded]
        return max(live or self.versions, key=_order)

    @property
    def superseded(self) -> tuple[R, ...]:
        current = self.current
        return tuple(v for v in self.versions if v.id != current.id)

    @property
    def corrected(self) -> bool:
        return len(self.versions) > 1


def _root_id(record: Evidence, by_id: dict[str, Evidence]) -> str:
    seen: set[str] = set()
    while record.corrects and record.corrects in by_id and record.id not in seen:
        seen.add(record.id)
        record = by_id[record.corrects]
    return record.id


def fold_corrections(records: Iterable[R]) -> list[Chain[R]]:
    """Chains in the order their original records were made."""
    ordered = sorted(records, key=_order)
    by_id: dict[str, Evidence] = {r.id: r for r in ordered}
    groups: dict[str, list[R]] = {}
    for record in ordered:
        groups.setdefault(_root_id(record, by_id), []).append(record)
    return [Chain(tuple(group)) for group in groups.values()]


def effective(records: Iterable[R]) -> list[R]:
    """Only the current version of each record, in original order."""
    return [chain.current for chain in fold_corrections(records)]


def check_correction(
    records: Sequence[R], target_id: str, reason: str, problems: Problems | None = None
) -> R:
    """The record a correction may replace: it exists and is the current version of its chain;
    a reason is given. Returns the target. A missing reason goes into ``problems`` when given
    (the form reports it with the other fields' errors), else is raised."""
    if not reason.strip():
        missing = CorrectionInvalid(N_("请填写更正原因"), field="reason", ids=[target_id])
        if problems is None:
            raise missing
        problems.add(missing)
    target = next((r for r in records if r.id == target_id), None)
    if target is None:
        raise NotFound(N_("要更正的记录不存在"), field="corrects", ids=[target_id])
    if any(r.corrects == target_id for r in records):
        raise CorrectionInvalid(
            N_("该记录已被更正，请在最新版本上更正"), field="corrects", ids=[target_id]
        )
    return target
