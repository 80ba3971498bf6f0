"""The village, its bodies (charter and rule) and their seats, and the village rules, as documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from village_app.domain import (
    Body,
    DocType,
    Member,
    Village,
)
from village_app.repo.actor import Actor
from village_app.repo.docs._common import (
    Doc,
    base_doc,
    load_date,
    store_date,
)
from village_app.repo.ids import make_id, split_id


def village_id(code: str) -> str:
    return make_id(DocType.VILLAGE, code, "profile")


def village_to_doc(village: Village, actor: Actor) -> Doc:
    doc = base_doc(DocType.VILLAGE, village.code, village_id(village.code), actor)
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
    doc = base_doc(DocType.BODY, village, body_id(village, body.kind), actor)
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
    doc = base_doc(DocType.MEMBER, village, docid, actor)
    if member.created_at:
        doc.update(created_at=member.created_at, created_by=member.created_by)
    doc.update(
        body=member.body,
        name=member.name,
        role=member.role,
        term_start=store_date(member.term_start),
        term_end=store_date(member.term_end),
        convenor=member.convenor,
        person=member.person or member.name,
    )
    private = base_doc(DocType.MEMBER_PRIVATE, village, private_id(docid), actor)
    private.update(member=docid, phone=member.phone, close_relatives=list(member.close_relatives))
    return doc, private


def member_from_docs(doc: Mapping[str, Any], private: Mapping[str, Any] | None = None) -> Member:
    private = private or {}
    return Member(
        body=doc["body"],
        name=doc["name"],
        role=doc.get("role", ""),
        term_start=load_date(doc.get("term_start")),
        term_end=load_date(doc.get("term_end")),
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
    doc = base_doc(
        DocType.VILLAGE_RULE, village, actor.new_id(DocType.VILLAGE_RULE, village), actor
    )
    doc.update(kind=kind, title=title, text=text, published=published)
    if limits:
        doc["limits"] = dict(limits)
    return doc
