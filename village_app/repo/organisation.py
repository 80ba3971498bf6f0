"""The village, its bodies and rosters, its rules: reading and writing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sync.errors import NotFoundError
from village_app.domain import (
    ROSTER_BODIES,
    Body,
    BodyKind,
    BodyRule,
    DocType,
    DomainError,
    DuplicateName,
    EditConflict,
    Member,
    MemberChange,
    NotFound,
    Problems,
    RuleBook,
    ValidationError,
    Village,
    check_duplicate_name,
    limits_from_data,
    member_changes,
    rule_for,
    rules_with_overrides,
    validate_member,
    validate_village,
)
from village_app.domain.matters import MAX_TEXT
from village_app.domain.rosters import MEETING_ROSTERS, MeetingRoster, meeting_roster
from village_app.i18n import N_
from village_app.repo import docs
from village_app.repo.conflicts import ConflictRecords


class OrganisationRecords(ConflictRecords):
    async def get_village(self) -> Village:
        doc = await self._get_doc(docs.village_id(self.village), missing=N_("村不存在"))
        return self._read_one(doc, docs.village_from_doc)

    async def save_village(self, village: Village) -> Village:
        """Create or update the village profile."""
        validate_village(village)
        doc = docs.village_to_doc(village, self.actor)
        try:
            old = await self.db.get(doc["_id"])
            doc.update(_rev=old["_rev"], created_at=old["created_at"], created_by=old["created_by"])
        except NotFoundError:
            pass
        await self._put_editable(doc)
        return village

    async def list_bodies(self) -> list[Body]:
        """Bodies with a stored charter/rule, in the order of :data:`ROSTER_BODIES` then others."""
        found = self._read(await self._find_all({"type": DocType.BODY}), docs.body_from_doc)
        order = {str(k): i for i, k in enumerate([*ROSTER_BODIES, *BodyKind])}
        return sorted(found, key=lambda b: order.get(b.kind, 99))

    async def save_body(self, body: Body, *, rev: str | None = None) -> Body:
        """Create or edit a body's charter and rule (editable: pass the ``rev`` read to edit)."""
        BodyKind(body.kind)
        if body.rule is not None:
            rules_with_overrides({body.kind: body.rule})  # validates the rule data
        doc = docs.body_to_doc(self.village, body, self.actor)
        if rev or body.rev:
            doc["_rev"] = rev or body.rev
        new_rev = await self._put_editable(doc)
        return replace(body, id=doc["_id"], rev=new_rev)

    async def get_body(self, kind: str) -> Body:
        """A body's charter and rule as stored (an empty one when it has no document yet)."""
        kind = str(BodyKind(kind))
        try:
            doc = await self.db.get(docs.body_id(self.village, kind))
        except NotFoundError:
            return Body(kind=kind)
        return self._read_one(doc, docs.body_from_doc)

    async def update_charter(
        self, kind: str, charter: str, rule: BodyRule | None, *, rev: str
    ) -> Body:
        """Edit a body's charter and (``rule``; ``None`` keeps it) its quorum and majority.
        ``rev``: the revision read (``""`` when the body had no document): an edit made
        meanwhile is refused, not overwritten. What they said before is appended to the body's
        ``history``; fields this version does not know are kept."""
        before = await self.get_body(kind)
        if rev != before.rev:
            raise EditConflict(N_("此记录已被他人修改，请刷新后再试"), ids=[before.id or kind])
        rule_data = before.rule
        if rule is not None and not _same_rule(before.rule, rule):
            rule_data = rule.to_data()
        if charter == before.charter and rule_data == before.rule:
            return before
        extra = dict(before.extra)
        if before.rev:
            # The rule in force before, also when it was the default (no rule of its own).
            in_force = before.rule or rule_for(kind, await self.rules()).to_data()
            earlier = extra.get("history")
            extra["history"] = [
                *(earlier if isinstance(earlier, list) else []),
                {
                    "at": self.actor.stamp(),
                    "by": self.actor.user,
                    "charter": before.charter,
                    "rule": in_force,
                },
            ]
        body = replace(before, charter=charter, rule=rule_data, extra=extra)
        rules_with_overrides({kind: rule_data} if rule_data else {})  # checks the rule's data
        doc = docs.body_to_doc(self.village, body, self.actor)
        if before.rev:
            old = await self.db.get(doc["_id"])
            doc.update(_rev=old["_rev"], created_at=old["created_at"], created_by=old["created_by"])
        rev = await self._put_editable(doc)
        return replace(body, id=doc["_id"], rev=rev)

    async def rules(self) -> RuleBook:
        """DOMAIN.md's defaults with the rules the village's bodies set for themselves.

        Read again only after the database changed: the live check asks on every keystroke
        and each matter page for its next stage's hint, and reading them is a query over the
        bodies' documents. ``update_seq`` moves with any write or replication, so a cached
        book is never older than the database (sequences are opaque: equality only)."""
        seq = (await self.db.info())["update_seq"]
        cached = self.caches.rules
        if cached is not None and cached[0] == seq:
            return cached[1]
        overrides: dict[str, Mapping[str, Any]] = {
            b.kind: b.rule for b in await self.list_bodies() if b.rule
        }
        book = rules_with_overrides(overrides)
        self.caches.rules = (seq, book)
        return book

    async def list_members(
        self, body: str | None = None, *, on: date | None = None, private: bool = True
    ) -> list[Member]:
        """Seats, optionally of one body and serving on a day; ``private`` adds phone and
        relatives."""
        selector: dict[str, Any] = {"type": DocType.MEMBER}
        if body:
            selector["body"] = body
        members = self._read(await self._find_all(selector), docs.member_from_docs)
        if private and members:
            rows = await self.db.all_docs(
                keys=[docs.private_id(m.id) for m in members], include_docs=True
            )
            extra = {r["id"]: r["doc"] for r in rows["rows"] if isinstance(r.get("doc"), dict)}
            members = [
                replace(m, phone=p.phone, close_relatives=p.close_relatives)
                for m in members
                for p in [docs.member_private_from_doc(extra.get(docs.private_id(m.id)))]
            ]
        if on is not None:
            members = [m for m in members if m.active_on(on)]
        return sorted(
            members, key=lambda m: (m.body, not m.convenor, m.term_start or date.min, m.id)
        )

    async def add_member(self, member: Member, *, same_name_ok: bool = False) -> Member:
        """Validate against the village's roster (convenor, supervision eligibility, a name
        already on the body), then store. ``same_name_ok``: the secretary said the namesake is
        another person; the seat then gets a person key of its own (its id), so the two are
        never taken for one (eligibility, relatives)."""
        roster = await self.list_members()
        docid = self.actor.new_id(DocType.MEMBER, self.village)
        member = replace(member, id="")
        validate_member(member, roster, same_name_ok=same_name_ok)
        if same_name_ok and _namesake(member, roster):
            member = replace(member, person=docid)
        doc, private = docs.member_to_docs(self.village, replace(member, id=docid), self.actor)
        result = await self.db.bulk_docs([doc, private])
        failed = [r for r in result if r.get("error")]
        if failed:
            raise EditConflict(N_("保存成员失败，请重试"), ids=[doc["_id"]])
        await self._publish(doc["_id"])
        return docs.member_from_docs(doc, private)

    async def update_member(self, member: Member, *, same_name_ok: bool = False) -> Member:
        """Edit a seat (name, role, term, convenor). Rosters are editable: pass ``member.rev``
        as read, and an edit of an outdated revision raises EditConflict instead of overwriting
        someone's change. What changed is appended to the seat's history; fields this version
        does not know are kept."""
        old = await self._get_doc(member.id, missing=N_("成员不存在"))
        if old.get("type") != DocType.MEMBER:
            raise NotFound(N_("成员不存在"), ids=[member.id])
        if member.rev and member.rev != old["_rev"]:
            raise EditConflict(N_("此成员信息已被他人修改，请刷新后再试"), ids=[member.id])
        before = self._read_one(old, docs.member_from_docs)
        roster = await self.list_members()
        validate_member(member, roster, same_name_ok=same_name_ok)
        if same_name_ok and _namesake(member, roster) and before.person_key == before.name:
            member = replace(member, person=member.id)
        changes = member_changes(before, member)
        if not changes:
            return replace(before, phone=member.phone, close_relatives=member.close_relatives)
        history = (
            *before.history,
            MemberChange(self.actor.stamp(), self.actor.user, changes),
        )
        doc, private = docs.member_to_docs(
            self.village,
            replace(
                member,
                created_at=old["created_at"],
                created_by=old["created_by"],
                history=history,
            ),
            self.actor,
        )
        known = {*doc, "history"}
        doc = {**{k: v for k, v in old.items() if k not in known}, **doc, "_rev": old["_rev"]}
        doc["_rev"] = await self._put_editable(doc)
        try:
            old_private = await self.db.get(private["_id"])
        except NotFoundError:
            old_private = {}
        if old_private:  # who wrote it first, and when, stay as they were
            private.update(
                {
                    k: old_private[k]
                    for k in ("_rev", "created_at", "created_by")
                    if k in old_private
                }
            )
        await self._put_editable(private)
        return docs.member_from_docs(doc, private)

    async def meeting_roster(self, body: str, day: date) -> MeetingRoster | None:
        """Who is expected at a meeting of ``body`` on ``day`` (see :mod:`domain.rosters`)."""
        if body not in MEETING_ROSTERS:
            return None
        return meeting_roster(body, await self.list_members(private=False), day)

    async def list_village_rules(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        """村规民约 and 红白事标准 documents (``kind``, ``title``, ``text``, ``published``)."""
        selector: dict[str, Any] = {"type": DocType.VILLAGE_RULE}
        if kind:
            selector["kind"] = kind
        return self._read(await self._find_all(selector), docs.village_rule_from_doc)

    async def add_village_rule(
        self,
        kind: str,
        title: str,
        text: str,
        *,
        published: bool = True,
        limits: Mapping[str, Any] | None = None,
        key: str | None = None,
        problems: Problems | None = None,
    ) -> dict[str, Any]:
        """Add a village rule text (村规民约) or the weddings-and-funerals standard (红白事标准),
        the latter optionally with its caps as data (``{"wedding": {"max_tables": 15, ...}}``).
        A rule is never edited: a new version is added, and the latest published one is in
        force (the earlier ones are its history). ``key``: the form's idempotency key;
        ``problems``: what the caller found wrong already (raised with the rest)."""
        docid = self._keyed_id(DocType.VILLAGE_RULE, key)
        if docid is not None:
            try:
                return dict(await self._get_doc(docid, missing=N_("记录不存在")))
            except NotFound:
                pass
        problems = problems if problems is not None else Problems()
        if limits:
            with problems.check():
                limits_from_data(limits)  # refuse malformed caps before storing
        if not title.strip():
            problems.add(ValidationError(N_("请填写标题"), field="title"))
        if not text.strip():
            problems.add(ValidationError(N_("请填写内容"), field="text"))
        if len(text.strip()) > MAX_TEXT:
            problems.add(
                ValidationError(N_("内容不能超过%(max)s字"), {"max": MAX_TEXT}, field="text")
            )
        problems.raise_any()
        doc = docs.village_rule_to_doc(
            self.village,
            kind,
            title.strip(),
            text.strip(),
            self.actor,
            published=published,
            limits=limits,
        )
        if docid is not None:
            doc["_id"] = docid
        await self._put_new(doc)
        return doc

    async def roster_conflicts(self, body: str) -> list[str]:
        """Ids of this body's charter/rule document and seats that have conflicting versions
        (two laptops edited them before they synced)."""
        seats = await self._find_all({"type": DocType.MEMBER, "body": body})
        return await self.conflicted([docs.body_id(self.village, body), *(d["_id"] for d in seats)])

    async def get_member(self, member_id: str) -> Member:
        """One seat with its revision and any conflicting revisions (``conflicts``)."""
        doc = await self._get_doc(member_id, missing=N_("成员不存在"), conflicts=True)
        if doc.get("type") != DocType.MEMBER:
            raise NotFound(N_("成员不存在"), ids=[member_id])
        try:
            private = await self.db.get(docs.private_id(member_id))
        except NotFoundError:
            private = None
        return self._read_one(doc, lambda d: docs.member_from_docs(d, private))


def _namesake(member: Member, roster: list[Member]) -> bool:
    """Another seat on the same body under the same name (for an overlapping term)."""
    try:
        check_duplicate_name(member, roster)
    except DuplicateName:
        return True
    return False


def _same_rule(data: Mapping[str, Any] | None, rule: BodyRule) -> bool:
    """Whether stored rule data says what ``rule`` says (where it came from aside)."""
    if data is None:
        return False
    try:
        stored = BodyRule.from_data(data)
    except (DomainError, KeyError, TypeError, ValueError):
        return False
    return (stored.quorum, stored.majority, stored.majority_of) == (
        rule.quorum,
        rule.majority,
        rule.majority_of,
    )
