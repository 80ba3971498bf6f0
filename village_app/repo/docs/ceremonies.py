"""Registered weddings and funerals as documents (they name families: never public)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import (
    Ceremony,
    DocType,
)
from village_app.domain.ceremonies import BREACH_TEXTS, Breach
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc
from village_app.repo.docs._fields import Fields


def ceremony_to_doc(
    village: str, ceremony: Ceremony, actor: Actor, *, docid: str | None = None
) -> Doc:
    doc = base_doc(
        DocType.CEREMONY, village, docid or actor.new_id(DocType.CEREMONY, village), actor
    )
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
        breaches=[
            {"what": b.what, "actual": b.actual, "cap": b.cap} if b.what else b.text
            for b in ceremony.breaches
        ],
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
        breaches=_breaches(f),
        id=doc["_id"],
        created_at=doc["created_at"],
        created_by=f.text("created_by"),
        corrects=f.reference("corrects"),
        reason=f.text("reason"),
    )


def _breaches(f: Fields) -> tuple[Breach, ...]:
    """Each cap gone over: ``{"what", "actual", "cap"}``, or the sentence older versions stored."""
    value = f.doc.get("breaches") or []
    if not isinstance(value, list):
        raise f.fail("breaches", "a list")
    found = []
    for item in value:
        if isinstance(item, str):
            found.append(Breach("", text=item))
        elif isinstance(item, dict):
            b = Fields(item, path="breaches.", root=f.root)
            what = b.text("what", None)
            if what not in BREACH_TEXTS:
                raise b.fail("what", "tables, cost_per_table or gift")
            found.append(Breach(what, b.integer("actual"), b.integer("cap")))
        else:
            raise f.fail("breaches", "texts or objects")
    return tuple(found)
