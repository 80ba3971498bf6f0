"""Registered weddings and funerals as documents (they name families: never public)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import (
    Ceremony,
    DocType,
)
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc
from village_app.repo.docs._fields import Fields


def ceremony_to_doc(village: str, ceremony: Ceremony, actor: Actor, *, docid: str | None = None) -> Doc:
    doc = base_doc(DocType.CEREMONY, village, docid or actor.new_id(DocType.CEREMONY, village), actor)
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
    f = Fields.of(doc, DocType.CEREMONY)
    held_on = f.required_day("held_on")
    return Ceremony(
        kind=f.text("kind", None),
        family=f.text("family", None),
        held_on=held_on,
        tables=f.integer("tables", maximum=10_000),
        cost_per_table=f.integer("cost_per_table", 0),
        gift=f.integer("gift", 0),
        registered_by=f.text("registered_by"),
        note=f.text("note"),
        kept=f.optional_flag("kept"),
        breaches=f.texts("breaches"),
        id=doc["_id"],
        created_at=doc["created_at"],
        created_by=f.text("created_by"),
        corrects=f.reference("corrects"),
        reason=f.text("reason"),
    )
