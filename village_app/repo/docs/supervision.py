"""Supervision entries as documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import (
    DocType,
    SupervisionEntry,
)
from village_app.repo.actor import Actor
from village_app.repo.docs._common import (
    Doc,
    base_doc,
    load_time,
    store_time,
)


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
    return SupervisionEntry(
        finding=doc.get("finding", ""),
        recorded_by=doc.get("recorded_by", ""),
        status=doc.get("status", "open"),
        follow_up=doc.get("follow_up", ""),
        noted_at=load_time(doc.get("noted_at")),
        matter=doc.get("matter"),
        stage_record=doc.get("stage_record"),
        thread=doc.get("thread"),
        corrects=doc.get("corrects"),
        reason=doc.get("reason", ""),
        id=doc["_id"],
        created_at=doc.get("created_at", ""),
        created_by=doc.get("created_by", ""),
    )
