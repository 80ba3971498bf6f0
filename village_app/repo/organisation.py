"""The village, its bodies and rosters, its rules: reading and writing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sync.database import Database
from sync.errors import NotFoundError
from village_app.domain import (
    ROSTER_BODIES,
    Body,
    BodyKind,
    DocType,
    EditConflict,
    Member,
    NotFound,
    RuleBook,
    ValidationError,
    Village,
    limits_from_data,
    rules_with_overrides,
    validate_member,
    validate_village,
)
from village_app.repo import docs
from village_app.repo._base import find_all, get_doc, put_editable
from village_app.repo.actor import Actor
from village_app.repo.conflicts import conflicted


async def get_village(db: Database, code: str) -> Village:
    doc = await get_doc(db, docs.village_id(code), village=code, what_zh="村")
    return docs.village_from_doc(doc)


async def save_village(db: Database, village: Village, actor: Actor) -> Village:
    """Create or update the village profile."""
    validate_village(village)
    doc = docs.village_to_doc(village, actor)
    try:
        old = await db.get(doc["_id"])
        doc.update(_rev=old["_rev"], created_at=old["created_at"], created_by=old["created_by"])
    except NotFoundError:
        pass
    await put_editable(db, doc)
    return village


async def list_bodies(db: Database, village: str) -> list[Body]:
    """Bodies with a stored charter/rule, in the order of :data:`ROSTER_BODIES` then others."""
    found = [
        docs.body_from_doc(d)
        for d in await find_all(db, {"type": DocType.BODY, "village": village})
    ]
    order = {str(k): i for i, k in enumerate([*ROSTER_BODIES, *BodyKind])}
    return sorted(found, key=lambda b: order.get(b.kind, 99))


async def save_body(
    db: Database, village: str, body: Body, actor: Actor, *, rev: str | None = None
) -> Body:
    """Create or edit a body's charter and rule (editable: pass the ``rev`` read to edit)."""
    BodyKind(body.kind)
    if body.rule is not None:
        rules_with_overrides({body.kind: body.rule})  # validates the rule data
    doc = docs.body_to_doc(village, body, actor)
    if rev or body.rev:
        doc["_rev"] = rev or body.rev
    new_rev = await put_editable(db, doc)
    return replace(body, id=doc["_id"], rev=new_rev)


async def get_rules(db: Database, village: str) -> RuleBook:
    """DOMAIN.md's defaults with the rules the village's bodies set for themselves."""
    overrides: dict[str, Mapping[str, Any]] = {
        b.kind: b.rule for b in await list_bodies(db, village) if b.rule
    }
    return rules_with_overrides(overrides)


async def list_members(
    db: Database,
    village: str,
    body: str | None = None,
    *,
    on: date | None = None,
    private: bool = True,
) -> list[Member]:
    """Seats, optionally of one body and serving on a day; ``private`` adds phone and relatives."""
    selector: dict[str, Any] = {"type": DocType.MEMBER, "village": village}
    if body:
        selector["body"] = body
    seats = await find_all(db, selector)
    extra: dict[str, dict[str, Any]] = {}
    if private and seats:
        rows = await db.all_docs(keys=[docs.private_id(d["_id"]) for d in seats], include_docs=True)
        extra = {r["doc"]["member"]: r["doc"] for r in rows["rows"] if r.get("doc")}
    members = [docs.member_from_docs(d, extra.get(d["_id"])) for d in seats]
    if on is not None:
        members = [m for m in members if m.active_on(on)]
    return sorted(members, key=lambda m: (m.body, not m.convenor, m.term_start or date.min, m.id))


async def add_member(db: Database, village: str, member: Member, actor: Actor) -> Member:
    """Validate against the village's roster (convenor, supervision eligibility), then store."""
    roster = await list_members(db, village)
    validate_member(replace(member, id=""), roster)
    doc, private = docs.member_to_docs(village, replace(member, id=""), actor)
    result = await db.bulk_docs([doc, private])
    failed = [r for r in result if r.get("error")]
    if failed:
        raise EditConflict(
            "保存成员失败，请重试", f"could not store the member: {failed}", ids=[doc["_id"]]
        )
    return docs.member_from_docs(doc, private)


async def update_member(db: Database, village: str, member: Member, actor: Actor) -> Member:
    """Edit a seat (e.g. end a term). Rosters are editable: pass ``member.rev`` as read, and an
    edit of an outdated revision raises EditConflict instead of overwriting someone's change."""
    old = await get_doc(db, member.id, village=village, what_zh="成员")
    if member.rev and member.rev != old["_rev"]:
        raise EditConflict(
            "此成员信息已被他人修改，请刷新后再试",
            f"{member.id} changed since it was read",
            ids=[member.id],
        )
    roster = await list_members(db, village)
    validate_member(member, roster)
    doc, private = docs.member_to_docs(
        village, replace(member, created_at=old["created_at"], created_by=old["created_by"]), actor
    )
    doc["_rev"] = old["_rev"]
    doc["_rev"] = await put_editable(db, doc)
    try:
        old_private = await db.get(private["_id"])
        private["_rev"] = old_private["_rev"]
    except NotFoundError:
        pass
    await put_editable(db, private)
    return docs.member_from_docs(doc, private)


async def list_village_rules(
    db: Database, village: str, *, kind: str | None = None
) -> list[dict[str, Any]]:
    """村规民约 and 红白事标准 documents (``kind``, ``title``, ``text``, ``published``)."""
    selector: dict[str, Any] = {"type": DocType.VILLAGE_RULE, "village": village}
    if kind:
        selector["kind"] = kind
    return await find_all(db, selector)


async def add_village_rule(
    db: Database,
    village: str,
    kind: str,
    title: str,
    text: str,
    actor: Actor,
    *,
    published: bool = True,
    limits: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Add a village rule text (村规民约) or the weddings-and-funerals standard (红白事标准),
    the latter optionally with its caps as data (``{"wedding": {"max_tables": 15, ...}}``)."""
    if limits:
        limits_from_data(limits)  # refuse malformed caps before storing
    if not title.strip() or not text.strip():
        raise ValidationError(
            "请填写标题和内容",
            "title and text are required",
            field="title" if not title.strip() else "text",
        )
    doc = docs.village_rule_to_doc(
        village, kind, title.strip(), text.strip(), actor, published=published, limits=limits
    )
    await db.put(doc)
    return doc


async def roster_conflicts(db: Database, village: str, body: str) -> list[str]:
    """Ids of this body's charter/rule document and seats that have conflicting versions
    (two laptops edited them before they synced)."""
    seats = await find_all(db, {"type": DocType.MEMBER, "village": village, "body": body})
    return await conflicted(db, [docs.body_id(village, body), *(d["_id"] for d in seats)])


async def get_member(db: Database, village: str, member_id: str) -> Member:
    """One seat with its revision and any conflicting revisions (``conflicts``)."""
    doc = await get_doc(db, member_id, village=village, what_zh="成员", conflicts=True)
    if doc.get("type") != DocType.MEMBER:
        raise NotFound("成员不存在", f"{member_id} is not a member", ids=[member_id])
    try:
        private = await db.get(docs.private_id(member_id))
    except NotFoundError:
        private = None
    return docs.member_from_docs(doc, private)
