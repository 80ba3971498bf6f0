"""Supervision entries as documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import (
    DocType,
    SupervisionEntry,
)
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc, store_time
from village_app.repo.docs._fields import Fields


def supervision_to_doc(village: str, entry: SupervisionEntry, actor: Actor) -> Doc:
    docid = entry.id or actor.new_id(DocType.SUPERVISION, village)
    doc = base_doc(DocType.SUPERVISION, village, docid, actor)
    doc.update(
        finding=entry.finding,
        recorded_by=entry.recorded_by,
        status=entry.status,
        follow_up=entry.follow_up,
        noted_at=store_time(entry.noted_at),
        matter=entry.matter,
        stage_record=entry.stage_record,
        thread=entry.thread,
        corrects=entry.corrects,
        reason=entry.reason,
    )
    return doc


def supervision_from_doc(doc: Mapping[str, Any]) -> SupervisionEntry:
    f = Fields.of(doc, DocType.SUPERVISION)
    return SupervisionEntry(
        finding=f.text("finding"),
        recorded_by=f.text("recorded_by"),
        status=f.text("status", "open"),
        follow_up=f.text("follow_up"),
        noted_at=f.moment("noted_at"),
        matter=f.reference("matter"),
        stage_record=f.reference("stage_record"),
        thread=f.reference("thread"),
        corrects=f.reference("corrects"),
        reason=f.text("reason"),
        id=doc["_id"],
        created_at=doc["created_at"],
        created_by=f.text("created_by"),
    )
