"""Matters and their stage records as documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import (
    AttachmentRef,
    Attendance,
    BodyRule,
    DocType,
    DomainError,
    Matter,
    MatterKind,
    Publication,
    StageRecord,
    Vote,
    evaluate_meeting,
)
from village_app.domain.dates import LATEST
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc, store_time
from village_app.repo.docs._fields import Fields, safe_id


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
    f = Fields.of(doc, DocType.MATTER)
    kind = f.text("kind", None)
    if kind not in set(MatterKind):
        raise f.fail("kind", "major or council")
    return Matter(
        kind=kind,
        title=f.text("title", None),
        body=f.text("body"),
        year=f.integer("year", maximum=LATEST.year),
        summary=f.text("summary"),
        category=f.text("category"),
        commendation=f.flag("commendation"),
        stage=f.text("stage"),
        id=doc["_id"],
        village=doc["village"],
        created_at=doc["created_at"],
        created_by=f.text("created_by"),
        rev=f.text("_rev"),
        conflicts=f.texts("_conflicts"),
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


def _attachment_refs(f: Fields) -> tuple[AttachmentRef, ...]:
    stubs = f.nested("_attachments")
    if stubs is None:
        return ()
    refs = []
    for name in sorted(stubs.doc):
        stub = stubs.nested(name)
        if stub is None or not safe_id(name):
            raise f.fail("_attachments", "attachments named without / ? # % or control characters")
        refs.append(
            AttachmentRef(
                name,
                stub.text("content_type"),
                stub.integer("length", 0, maximum=2**40),
                stub.text("digest"),
            )
        )
    return tuple(refs)


def stage_record_from_doc(doc: Mapping[str, Any]) -> StageRecord:
    """The record with its outcome recomputed from the stored counts and the rule applied then."""
    f = Fields.of(doc, DocType.STAGE_RECORD)
    a, v, p = f.nested("attendance"), f.nested("vote"), f.nested("publication")
    attendance = (
        Attendance(
            a.integer("expected"),
            a.integer("present"),
            a.text("basis", "members"),
            a.texts("names"),
        )
        if a
        else None
    )
    vote = (
        Vote(
            v.integer("in_favour"),
            v.integer("against"),
            v.integer("abstain", 0),
            _by_name(v),
        )
        if v
        else None
    )
    rule_data = f.mapping("rule")
    try:
        rule = BodyRule.from_data(rule_data) if rule_data else None
        outcome = evaluate_meeting(rule, attendance, vote) if rule and attendance else None
    except (DomainError, KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise f.fail("rule", f"a quorum and majority rule ({type(exc).__name__})") from None
    publication = (
        Publication(p.text("what"), p.text("where"), p.required_moment("published_at"))
        if p
        else None
    )
    return StageRecord(
        matter=f.reference("matter") or "",
        stage=f.text("stage", None),
        body=f.text("body"),
        subject=f.text("subject"),
        held_at=f.moment("held_at"),
        place=f.text("place"),
        form=f.text("form"),
        attendance=attendance,
        vote=vote,
        content=f.text("content"),
        township_staff=f.texts("township_staff"),
        publication=publication,
        rule=rule,
        outcome=outcome,
        attachments=_attachment_refs(f),
        corrects=f.reference("corrects"),
        reason=f.text("reason"),
        id=doc["_id"],
        created_at=doc["created_at"],
        created_by=f.text("created_by"),
    )


def _by_name(vote: Fields) -> tuple[tuple[str, str], ...]:
    value = vote.doc.get("by_name") or []
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        for pair in value
    ):
        raise vote.fail("by_name", "a list of [name, choice] pairs")
    return tuple((name, choice) for name, choice in value)
