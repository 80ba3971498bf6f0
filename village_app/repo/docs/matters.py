"""Matters and their stage records as documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import (
    AttachmentRef,
    Attendance,
    BodyRule,
    DocType,
    Matter,
    Publication,
    StageRecord,
    Vote,
    evaluate_meeting,
    parse_stamp,
)
from village_app.repo.actor import Actor
from village_app.repo.docs._common import (
    Doc,
    base_doc,
    load_time,
    store_time,
)


def matter_to_doc(village: str, matter: Matter, actor: Actor) -> Doc:
    docid = matter.id or actor.new_id(DocType.MATTER, village)
    doc = base_doc(DocType.MATTER, village, docid, actor)
    if matter.created_at:
        doc.update(created_at=matter.created_at, created_by=matter.created_by)
    if matter.rev:
        doc["_rev"] = matter.rev
    doc.update(
        kind=matter.kind,
        title=matter.title,
        body=matter.body,
        year=matter.year,
        summary=matter.summary,
        category=matter.category,
        commendation=matter.commendation,
        sensitive=matter.sensitive,  # written out so a Mango selector can test it (publicity)
        stage=matter.stage,
    )
    return doc


def matter_from_doc(doc: Mapping[str, Any]) -> Matter:
    return Matter(
        kind=doc["kind"],
        title=doc["title"],
        body=doc["body"],
        year=int(doc["year"]),
        summary=doc.get("summary", ""),
        category=doc.get("category", ""),
        commendation=bool(doc.get("commendation")),
        stage=doc.get("stage", ""),
        id=doc["_id"],
        village=doc.get("village", ""),
        created_at=doc.get("created_at", ""),
        created_by=doc.get("created_by", ""),
        rev=doc.get("_rev", ""),
        conflicts=tuple(doc.get("_conflicts") or ()),
    )


# -- stage records -----------------------------------------------------------
def stage_record_to_doc(village: str, matter: Matter, record: StageRecord, actor: Actor) -> Doc:
    docid = record.id or actor.new_id(DocType.STAGE_RECORD, village)
    doc = base_doc(DocType.STAGE_RECORD, village, docid, actor)
    a, v, p = record.attendance, record.vote, record.publication
    doc.update(
        matter=matter.id,
        matter_kind=matter.kind,
        year=matter.year,
        sensitive=matter.sensitive,
        commendation=matter.commendation,
        stage=record.stage,
        body=record.body,
        subject=record.subject,
        held_at=store_time(record.held_at),
        place=record.place,
        form=record.form,
        attendance=(
            {
                "expected": a.expected,
                "present": a.present,
                "basis": a.basis,
                "names": list(a.attendees),
            }
            if a
            else None
        ),
        vote=(
            {
                "in_favour": v.in_favour,
                "against": v.against,
                "abstain": v.abstain,
                "by_name": [list(x) for x in v.by_name],
            }
            if v
            else None
        ),
        content=record.content,
        township_staff=list(record.township_staff),
        publication=(
            {"what": p.what, "where": p.where, "published_at": store_time(p.published_at)}
            if p
            else None
        ),
        rule=record.rule.to_data() if record.rule else None,
        outcome=(
            {
                "quorate": record.outcome.quorate,
                "quorum_needed": record.outcome.quorum_needed,
                "passed": record.outcome.passed,
                "votes_needed": record.outcome.votes_needed,
            }
            if record.outcome
            else None
        ),
        corrects=record.corrects,
        reason=record.reason,
    )
    return doc


def _attachment_refs(doc: Mapping[str, Any]) -> tuple[AttachmentRef, ...]:
    stubs = doc.get("_attachments") or {}
    return tuple(
        AttachmentRef(name, s.get("content_type", ""), int(s.get("length", 0)), s.get("digest", ""))
        for name, s in sorted(stubs.items())
    )


def stage_record_from_doc(doc: Mapping[str, Any]) -> StageRecord:
    """The record with its outcome recomputed from the stored counts and the rule applied then."""
    a, v, p = doc.get("attendance"), doc.get("vote"), doc.get("publication")
    attendance = (
        Attendance(
            a["expected"], a["present"], a.get("basis", "members"), tuple(a.get("names") or ())
        )
        if a
        else None
    )
    vote = (
        Vote(
            v["in_favour"],
            v["against"],
            v.get("abstain", 0),
            tuple((n, c) for n, c in v.get("by_name") or ()),
        )
        if v
        else None
    )
    rule = BodyRule.from_data(doc["rule"]) if doc.get("rule") else None
    outcome = evaluate_meeting(rule, attendance, vote) if rule and attendance else None
    publication = Publication(p["what"], p["where"], parse_stamp(p["published_at"])) if p else None
    return StageRecord(
        matter=doc["matter"],
        stage=doc["stage"],
        body=doc.get("body", ""),
        subject=doc.get("subject", ""),
        held_at=load_time(doc.get("held_at")),
        place=doc.get("place", ""),
        form=doc.get("form", ""),
        attendance=attendance,
        vote=vote,
        content=doc.get("content", ""),
        township_staff=tuple(doc.get("township_staff") or ()),
        publication=publication,
        rule=rule,
        outcome=outcome,
        attachments=_attachment_refs(doc),
        corrects=doc.get("corrects"),
        reason=doc.get("reason", ""),
        id=doc["_id"],
        created_at=doc.get("created_at", ""),
        created_by=doc.get("created_by", ""),
    )
