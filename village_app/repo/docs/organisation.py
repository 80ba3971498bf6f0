"""The village, its bodies (charter and rule) and their seats, and the village rules, as documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from village_app.domain import (
    Body,
    DocType,
    DomainError,
    Member,
    MemberChange,
    Village,
    limits_from_data,
    rules_with_overrides,
)
from village_app.repo.actor import Actor
from village_app.repo.docs._common import Doc, base_doc, read_history, store_date
from village_app.repo.docs._fields import Fields, MalformedDocument
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
    f = Fields.of(doc, DocType.VILLAGE)
    return Village(
        code=f.text("code", None),
        name=f.text("name", None),
        township=f.text("township"),
        county=f.text("county"),
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
    f = Fields.of(doc, DocType.BODY)
    extra = {k: v for k, v in doc.items() if k not in known and not k.startswith("_")}
    rule = f.mapping("rule")
    if rule is not None:
        try:
            rules_with_overrides({f.text("kind", None): rule})
        except (DomainError, KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise f.fail("rule", f"a quorum and majority rule ({type(exc).__name__})") from None
    return Body(
        kind=f.text("kind", None),
        charter=f.text("charter"),
        rule=dict(rule) if rule is not None else None,
        id=doc["_id"],
        extra=extra,
        rev=f.text("_rev"),
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
    if member.history:
        doc["history"] = [
            {"at": c.at, "by": c.by, "changes": [list(change) for change in c.changes]}
            for c in member.history
        ]
    private = base_doc(DocType.MEMBER_PRIVATE, village, private_id(docid), actor)
    private.update(member=docid, phone=member.phone, close_relatives=list(member.close_relatives))
    return doc, private


@dataclass(frozen=True)
class PrivateDetails:
    phone: str = ""
    close_relatives: tuple[str, ...] = ()


def member_private_from_doc(private: Mapping[str, Any] | None) -> PrivateDetails:
    """A seat's phone and close relatives, read leniently: a malformed companion document loses
    only these (the seat itself stays readable)."""
    p = Fields(private or {})
    try:
        return PrivateDetails(p.text("phone"), p.texts("close_relatives"))
    except MalformedDocument:
        return PrivateDetails()


def member_from_docs(doc: Mapping[str, Any], private: Mapping[str, Any] | None = None) -> Member:
    f = Fields.of(doc, DocType.MEMBER)
    details = member_private_from_doc(private)
    phone, relatives = details.phone, details.close_relatives
    return Member(
        body=f.text("body", None),
        name=f.text("name", None),
        role=f.text("role"),
        term_start=f.day("term_start"),
        term_end=f.day("term_end"),
        convenor=f.flag("convenor"),
        person=f.text("person"),
        close_relatives=relatives,
        phone=phone,
        id=doc["_id"],
        created_at=doc["created_at"],
        created_by=f.text("created_by"),
        rev=f.text("_rev"),
        conflicts=f.texts("_conflicts"),
        history=_member_history(doc.get("history")),
    )


def _member_history(raw: object) -> tuple[MemberChange, ...]:
    """A seat's edits (see :func:`read_history`)."""
    return read_history(raw, MemberChange)


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


def village_rule_from_doc(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A village rule text as stored, once its shape is checked (the pages read it as is)."""
    f = Fields.of(doc, DocType.VILLAGE_RULE)
    f.text("kind", None), f.text("title", None), f.text("text", None), f.flag("published", True)
    limits = f.mapping("limits")
    if limits:
        try:
            limits_from_data(limits)
        except (DomainError, KeyError, TypeError, ValueError) as exc:
            raise f.fail("limits", f"the caps of a standard ({type(exc).__name__})") from None
    return dict(doc)
