"""Domain records <-> CouchDB documents. The only place that knows the document shapes.

Every document has ``type``, ``village``, ``created_at`` (UTC, ``...Z``, see
:func:`village_app.domain.dates.utc_stamp`), ``created_by`` and an id
``<type>:<village>:<ULID>`` (singletons use a readable suffix:
``village:<code>:profile``, ``body:<code>:<body kind>``). Times the secretary
typed are stored as Shanghai wall time with their ``+08:00`` offset, dates as
``YYYY-MM-DD``. Member docs carry only what may be public; phone and close
relatives live in a ``member_private`` doc with the same suffix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from village_app.domain import (
    AttachmentRef,
    Attendance,
    Body,
    BodyRule,
    Ceremony,
    DocType,
    Matter,
    Member,
    Publication,
    StageRecord,
    SupervisionEntry,
    Village,
    Vote,
    evaluate_meeting,
    iso_local,
    parse_stamp,
)
from village_app.repo.actor import Actor
from village_app.repo.ids import make_id, split_id

Doc = dict[str, Any]


def _base(doc_type: str, village: str, docid: str, actor: Actor) -> Doc:
    return {
        "_id": docid,
        "type": doc_type,
        "village": village,
        "created_at": actor.stamp(),
        "created_by": actor.user,
    }


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _parse_date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _time(value: datetime | None) -> str | None:
    return iso_local(value) if value else None


def _parse_time(value: Any) -> datetime | None:
    return parse_stamp(value) if value else None


# -- village, bodies, members ------------------------------------------------
def village_id(code: str) -> str:
    return make_id(DocType.VILLAGE, code, "profile")


def village_to_doc(village: Village, actor: Actor) -> Doc:
    doc = _base(DocType.VILLAGE, village.code, village_id(village.code), actor)
    doc.update(
        code=village.code, name=village.name, township=village.township, county=village.county
    )
    return doc


def village_from_doc(doc: Mapping[str, Any]) -> Village:
    return Village(
        code=doc["code"], name=doc["name"], township=doc["township"], county=doc["county"]
    )


def body_id(village: str, kind: str) -> str:
    return make_id(DocType.BODY, village, kind)


def body_to_doc(village: str, body: Body, actor: Actor) -> Doc:
    doc = _base(DocType.BODY, village, body_id(village, body.kind), actor)
    doc.update(
        kind=body.kind, name_zh=body.name_zh, charter=body.charter, rule=body.rule, **body.extra
    )
    return doc


def body_from_doc(doc: Mapping[str, Any]) -> Body:
    known = {
        "_id",
        "_rev",
        "type",
        "village",
        "created_at",
        "created_by",
        "kind",
        "name_zh",
        "charter",
        "rule",
    }
    extra = {k: v for k, v in doc.items() if k not in known and not k.startswith("_")}
    return Body(
        kind=doc["kind"],
        charter=doc.get("charter", ""),
        rule=doc.get("rule"),
        id=doc["_id"],
        extra=extra,
        rev=doc.get("_rev", ""),
    )


def private_id(member_id: str) -> str:
    _, village, suffix = split_id(member_id)
    return make_id(DocType.MEMBER_PRIVATE, village, suffix)


def member_to_docs(village: str, member: Member, actor: Actor) -> tuple[Doc, Doc]:
    """The public seat and its private companion."""
    docid = member.id or actor.new_id(DocType.MEMBER, village)
    doc = _base(DocType.MEMBER, village, docid, actor)
    if member.created_at:
        doc.update(created_at=member.created_at, created_by=member.created_by)
    doc.update(
        body=member.body,
        name=member.name,
        role=member.role,
        term_start=_date(member.term_start),
        term_end=_date(member.term_end),
        convenor=member.convenor,
        person=member.person or member.name,
    )
    private = _base(DocType.MEMBER_PRIVATE, village, private_id(docid), actor)
    private.update(member=docid, phone=member.phone, close_relatives=list(member.close_relatives))
    return doc, private


def member_from_docs(doc: Mapping[str, Any], private: Mapping[str, Any] | None = None) -> Member:
    private = private or {}
    return Member(
        body=doc["body"],
        name=doc["name"],
        role=doc.get("role", ""),
        term_start=_parse_date(doc.get("term_start")),
        term_end=_parse_date(doc.get("term_end")),
        convenor=bool(doc.get("convenor")),
        person=doc.get("person", ""),
        close_relatives=tuple(private.get("close_relatives") or ()),
        phone=private.get("phone", ""),
        id=doc["_id"],
        created_at=doc.get("created_at", ""),
        created_by=doc.get("created_by", ""),
        rev=doc.get("_rev", ""),
        conflicts=tuple(doc.get("_conflicts") or ()),
    )


# -- matters -----------------------------------------------------------------
def matter_to_doc(village: str, matter: Matter, actor: Actor) -> Doc:
    docid = matter.id or actor.new_id(DocType.MATTER, village)
    doc = _base(DocType.MATTER, village, docid, actor)
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
    doc = _base(DocType.STAGE_RECORD, village, docid, actor)
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
        held_at=_time(record.held_at),
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
            {"what": p.what, "where": p.where, "published_at": _time(p.published_at)} if p else None
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
        held_at=_parse_time(doc.get("held_at")),
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


# -- supervision -------------------------------------------------------------
def supervision_to_doc(village: str, entry: SupervisionEntry, actor: Actor) -> Doc:
    docid = entry.id or actor.new_id(DocType.SUPERVISION, village)
    doc = _base(DocType.SUPERVISION, village, docid, actor)
    doc.update(
        finding=entry.finding,
        recorded_by=entry.recorded_by,
        status=entry.status,
        follow_up=entry.follow_up,
        noted_at=_time(entry.noted_at),
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
        noted_at=_parse_time(doc.get("noted_at")),
        matter=doc.get("matter"),
        stage_record=doc.get("stage_record"),
        thread=doc.get("thread"),
        corrects=doc.get("corrects"),
        reason=doc.get("reason", ""),
        id=doc["_id"],
        created_at=doc.get("created_at", ""),
        created_by=doc.get("created_by", ""),
    )


# -- village rules (村规民约, 红白事标准) ----------------------------------------
def village_rule_to_doc(
    village: str,
    kind: str,
    title: str,
    text: str,
    actor: Actor,
    *,
    published: bool = True,
    limits: Mapping[str, Any] | None = None,
) -> Doc:
    """A rule text; the 红白事标准 also carries its caps as data (``limits``, see ceremonies)."""
    doc = _base(DocType.VILLAGE_RULE, village, actor.new_id(DocType.VILLAGE_RULE, village), actor)
    doc.update(kind=kind, title=title, text=text, published=published)
    if limits:
        doc["limits"] = dict(limits)
    return doc


# -- weddings and funerals ---------------------------------------------------
def ceremony_to_doc(village: str, ceremony: Ceremony, actor: Actor) -> Doc:
    doc = _base(DocType.CEREMONY, village, actor.new_id(DocType.CEREMONY, village), actor)
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
