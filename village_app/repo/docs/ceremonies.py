"""Registered weddings and funerals as documents (they name families: never public)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from village_app.domain import (
    Ceremony,
    DocType,
)
from village_app.repo.actor import Actor
from village_app.repo.docs._common import (
    Doc,
    base_doc,
)


def ceremony_to_doc(village: str, ceremony: Ceremony, actor: Actor) -> Doc:
    doc = base_doc(DocType.CEREMONY, village, actor.new_id(DocType.CEREMONY, village), actor)
    doc.update(
        kind=ceremony.kind,
        family=ceremony.family,
        held_on=ceremony.held_on.isoformat(),
        tables=ceremony.tables,
        cost_per_table=ceremony.cost_per_table,
        gift=ceremony.gift,
        registered_by=ceremony.registered_by,
        note=ceremony.note,
        kept=ceremony.kept,
        breaches=list(ceremony.breaches),
        corrects=ceremony.corrects,
        reason=ceremony.reason,
    )
    return doc


def ceremony_from_doc(doc: Mapping[str, Any]) -> Ceremony:
    return Ceremony(
        kind=doc["kind"],
        family=doc["family"],
        held_on=date.fromisoformat(doc["held_on"]),
        tables=int(doc["tables"]),
        cost_per_table=int(doc.get("cost_per_table", 0)),
        gift=int(doc.get("gift", 0)),
        registered_by=doc.get("registered_by", ""),
        note=doc.get("note", ""),
        kept=doc.get("kept"),
        breaches=tuple(doc.get("breaches") or ()),
        id=doc["_id"],
        created_at=doc.get("created_at", ""),
        created_by=doc.get("created_by", ""),
        corrects=doc.get("corrects"),
        reason=doc.get("reason", ""),
    )
