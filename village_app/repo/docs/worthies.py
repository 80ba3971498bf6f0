"""The worthies' association's advice and donations as documents (they name people: never
public)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain.worthies import CONTRIBUTION, MAX_AMOUNT, Contribution
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc
from village_app.repo.docs._fields import Fields


def contribution_to_doc(
    village: str, entry: Contribution, actor: Actor, *, docid: str | None = None
) -> Doc:
    doc = base_doc(CONTRIBUTION, village, docid or actor.new_id(CONTRIBUTION, village), actor)
    doc.update(
        kind=entry.kind,
        giver=entry.giver,
        what=entry.what,
        given_on=entry.given_on.isoformat(),
        matter=entry.matter,
        project=entry.project,
        amount=entry.amount,
    )
    return doc


def contribution_from_doc(doc: Mapping[str, Any]) -> Contribution:
    f = Fields.of(doc, CONTRIBUTION)
    amount = doc.get("amount")
    return Contribution(
        kind=f.text("kind", None),
        giver=f.text("giver", None),
        what=f.text("what", None),
        given_on=f.required_day("given_on"),
        matter=f.reference("matter"),
        project=f.text("project"),
        amount=None if amount is None else f.integer("amount", maximum=MAX_AMOUNT),
        id=doc["_id"],
        created_at=doc["created_at"],
        created_by=f.text("created_by"),
    )
