"""Matters and their evidence: stage records, corrections, attachments, the folded view."""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TypedDict, Unpack

from sync.errors import NotFoundError
from village_app.domain import (
    AttachmentRef,
    DocType,
    DomainError,
    Matter,
    MatterView,
    NotFound,
    Problems,
    StageRecord,
    SupervisionEntry,
    ValidationError,
    correct_stage_record,
    done_stages,
    fold_matter,
    record_stage,
    validate_attachment,
    validate_matter,
)
from village_app.domain.attachments import sniff_content_type
from village_app.domain.dates import to_shanghai
from village_app.domain.procedure import current_stage_key
from village_app.domain.rosters import check_on_roster
from village_app.i18n import N_
from village_app.repo import docs
from village_app.repo.matter_index import MatterIndex
from village_app.repo.public import PublicTwins
from village_app.repo.retry import raise_for_results, retry_on_conflict
from village_app.repo.supervision import SupervisionRecords

Doc = dict[str, Any]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewAttachment:
    """An upload to store with a record: the name given and the bytes (checked by content)."""

    filename: str
    data: bytes


#: What a served attachment is said to be when its bytes are not a scan we accept.
OPAQUE_CONTENT_TYPE = "application/octet-stream"


class MatterQuery(TypedDict, total=False):
    """The filters and the page of :meth:`MatterRecords.find_matters`."""

    stage: str | None
    body: str | None
    year: int | None
    kind: str | None
    limit: int | None
    skip: int


def _unique_names(wanted: Sequence[str], taken: Sequence[str]) -> list[str]:
    """Never replace an attachment (evidence): a clash gets ``-2``, ``-3``... before the extension."""
    used = set(taken)
    names = []
    for name in wanted:
        stem, dot, ext = name.rpartition(".")
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{stem}-{n}{dot}{ext}"
        used.add(candidate)
        names.append(candidate)
    return names


def _record_flags(matter: Matter | None) -> dict[str, bool]:
    """What a stage record's publicity flags must say: its matter's (private when the matter
    is missing or unreadable)."""
    if matter is None:
        return {"sensitive": True, "commendation": False}
    return {"sensitive": matter.sensitive, "commendation": matter.commendation}


class MatterRecords(SupervisionRecords):
    async def create_matter(
        self, matter: Matter, *, key: str | None = None, problems: Problems | None = None
    ) -> Matter:
        """A new matter; ``key`` (the form's idempotency key) makes a repeat return the first;
        ``problems``: what the caller found wrong already, raised with the matter's own."""
        docid = self._keyed_id(DocType.MATTER, key)
        first = await self._first_result(docid, docs.matter_from_doc)
        if first is not None:
            return first
        matter = validate_matter(
            replace(matter, id=docid or "", village=self.village, rev=""), problems
        )
        matter = replace(matter, stage=current_stage_key(matter.procedure, ()))
        doc = docs.matter_to_doc(self.village, matter, self.actor)
        first = await self._put_once(doc, docs.matter_from_doc)
        return first or await self.get_matter(doc["_id"])

    async def get_matter(self, matter_id: str) -> Matter:
        """The matter with its revision and any conflicting revisions (``conflicts``)."""
        doc = await self._get_doc(matter_id, missing=N_("事项不存在"), conflicts=True)
        if doc.get("type") != DocType.MATTER:
            raise NotFound(N_("事项不存在"), ids=[matter_id])
        return self._read_one(doc, docs.matter_from_doc)

    async def update_matter(self, matter: Matter) -> Matter:
        """Edit title, summary, category (and commendation). ``matter.rev`` must be the revision
        read; the stage is kept as the store knows it."""
        old = await self.get_matter(matter.id)
        if not matter.rev:
            raise ValidationError(N_("缺少版本信息，请刷新后再试"), field="rev")
        checked = validate_matter(
            replace(matter, kind=old.kind, body=old.body, village=self.village)
        )
        doc = docs.matter_to_doc(
            self.village,
            replace(checked, stage=old.stage, created_at=old.created_at, created_by=old.created_by),
            self.actor,
        )
        doc["updated_at"], doc["updated_by"] = self.actor.stamp(), self.actor.user
        rev = await self._put_editable(doc)
        updated = docs.matter_from_doc({**doc, "_rev": rev})
        await self.sync_record_flags(updated)
        return updated

    async def resolve_matter_conflict(self, matter_id: str, chosen: Doc) -> Matter:
        """Keep the version the secretary chose; its publicity flags then hold for the records
        too, and its stage is recomputed from the records (the version chosen may predate
        some)."""
        await self.resolve_conflict(matter_id, chosen)
        matter = await self.get_matter(matter_id)
        await self.sync_record_flags(matter)
        await self._refresh_stage(matter, await self.list_stage_records(matter_id))
        return await self.get_matter(matter_id)

    async def sync_record_flags(self, matter: Matter) -> None:
        """Copy the matter's ``sensitive``/``commendation`` onto its stage records.

        The kiosk's filter reads these flags on each record (a filter sees one document at a
        time), so a matter no longer published as a commendation must take its records with
        it. The flags say who may read the record, not what happened: changing them is not an
        edit of the evidence. Every record's answer is checked: a record left with a stale
        ``commendation`` would be shown on the kiosk."""
        wanted = _record_flags(matter)

        async def attempt() -> None:
            records = await self._find_all({"type": DocType.STAGE_RECORD, "matter": matter.id})
            stale = [
                {**d, **wanted} for d in records if any(d.get(k) != v for k, v in wanted.items())
            ]
            if stale:
                raise_for_results(await self.db.bulk_docs(stale))

        await retry_on_conflict(attempt, what=f"flags of {matter.id}'s records", ids=[matter.id])

    async def repair_derived(self) -> int:
        """Recompute what is copied from the evidence, and write what disagrees: each matter's
        ``stage`` (a function of its records) and each record's ``sensitive``/``commendation``
        (a copy of its matter's publicity, which the kiosk's one-document-at-a-time filter
        reads). A crash between a record's write and the matter's, or two laptops that each
        changed one side before they synced, leave them disagreeing; this runs at start-up and
        after every pull. A record whose matter cannot be read is made private (fail closed).
        Returns how many documents were fixed."""
        matters = {
            m.id: m
            for m in self._read(
                await self._find_all({"type": DocType.MATTER}), docs.matter_from_doc
            )
        }
        raw_records = await self._find_all({"type": DocType.STAGE_RECORD})
        records: dict[str, list[StageRecord]] = {}
        for record in self._read(raw_records, docs.stage_record_from_doc):
            records.setdefault(record.matter, []).append(record)
        fixed = 0
        for matter in matters.values():
            stage = current_stage_key(matter.procedure, done_stages(records.get(matter.id, [])))
            if stage != matter.stage:
                await self._refresh_stage(matter, records.get(matter.id, []))
                fixed += 1
        stale = []
        for doc in raw_records:
            owner = matters.get(doc.get("matter", ""))
            wanted = _record_flags(owner)
            if any(doc.get(k) != v for k, v in wanted.items()):
                stale.append(doc["_id"])
        for docid in stale:
            fixed += await self._set_record_flags(docid, matters)
        fixed += await PublicTwins(self).reconcile_all()
        if fixed:
            log.warning(
                "%s: repaired %d derived values (stage, publicity flags, public twins)",
                self.village,
                fixed,
            )
        return fixed

    async def _set_record_flags(self, docid: str, matters: dict[str, Matter]) -> int:
        async def attempt() -> int:
            doc = await self.db.get(docid)
            wanted = _record_flags(matters.get(doc.get("matter", "")))
            if all(doc.get(k) == v for k, v in wanted.items()):
                return 0
            await self.db.put({**doc, **wanted})
            return 1

        return await retry_on_conflict(attempt, what=f"flags of {docid}", ids=[docid])

    async def list_matters(self, **query: Unpack[MatterQuery]) -> list[Matter]:
        """Matters, newest first, filtered by current stage, body, year, kind (from the
        in-process index, see :mod:`village_app.repo.matter_index`)."""
        found, _ = await self.find_matters(**query)
        return found

    async def find_matters(
        self,
        *,
        stage: str | None = None,
        body: str | None = None,
        year: int | None = None,
        kind: str | None = None,
        limit: int | None = None,
        skip: int = 0,
    ) -> tuple[list[Matter], int]:
        """One page of :meth:`list_matters` and how many matters the filters select in all.

        The index hands over the matters at ``stage`` directly; each other filter is one plain
        list comprehension over what is left (ten times faster in Python than one loop testing
        every filter per matter through a generator); the count is the length of what is left.
        Only the page's rows become :class:`Matter` objects."""
        found = await self._matter_index().summaries(stage=stage or None)
        for key, value in (("body", body), ("year", year), ("kind", kind)):
            if value not in (None, ""):
                found = [d for d in found if d.get(key) == value]
        end = None if limit is None else skip + limit
        return self._read(found[skip:end], docs.matter_from_doc), len(found)

    def _matter_index(self) -> MatterIndex:
        index = self.caches.matters
        if index is None or index.db is not self.db:
            index = self.caches.matters = MatterIndex(self.db, self.village)
        return index

    async def warm_up(self) -> None:
        """Build the matters index now (at start-up), so the first page asked for does not pay
        for reading every matter (about 0.3 s for 10,000)."""
        await self.repair_derived()
        await self._matter_index().summaries()
        found = await self.unreadable()
        if found:
            log.warning(
                "%s: %d unreadable documents quarantined (see /unreadable)",
                self.village,
                len(found),
            )

    async def stage_counts(self, *, kind: str | None = None) -> dict[str, int]:
        """How many matters (of one kind, or all) are at each stage (for the overview)."""
        counts: dict[str, int] = {}
        for d in await self._matter_index().summaries():
            if kind is None or d.get("kind") == kind:
                counts[d.get("stage", "")] = counts.get(d.get("stage", ""), 0) + 1
        return counts

    async def list_stage_records(self, matter_id: str) -> list[StageRecord]:
        found = await self._find_all({"type": DocType.STAGE_RECORD, "matter": matter_id})
        return self._read(found, docs.stage_record_from_doc)

    async def matter_view(self, matter_id: str) -> MatterView:
        """Everything the matter page shows: stages with attempts and corrections, attachments,
        supervision threads."""
        matter = await self.get_matter(matter_id)
        records = await self.list_stage_records(matter_id)
        supervision = await self.list_supervision_entries(matter=matter_id)
        return fold_matter(matter, records, supervision)

    async def matter_views(self) -> list[MatterView]:
        """Every readable matter folded as :meth:`matter_view` folds one, oldest first, read
        with one query per type rather than three per matter (the county indexer summarises
        a whole village at once). Nothing is written: the stage of each view comes from its
        records, whatever the matter document says."""
        found = await self._find_all({"type": DocType.MATTER})
        matters = self._read(found, docs.matter_from_doc)
        records: dict[str, list[StageRecord]] = {}
        raw = await self._find_all({"type": DocType.STAGE_RECORD})
        for record in self._read(raw, docs.stage_record_from_doc):
            records.setdefault(record.matter, []).append(record)
        entries: dict[str, list[SupervisionEntry]] = {}
        for entry in await self.list_supervision_entries():
            if entry.matter:
                entries.setdefault(entry.matter, []).append(entry)
        return [fold_matter(m, records.get(m.id, []), entries.get(m.id, [])) for m in matters]

    async def _refresh_stage(self, matter: Matter, records: Sequence[StageRecord]) -> None:
        """Keep the matter's denormalised ``stage`` (for lists and the kiosk filter) in step;
        a matter edited meanwhile is read again (the stage comes from the records, not from
        either version)."""
        stage = current_stage_key(matter.procedure, done_stages(records))

        async def attempt() -> None:
            doc = await self.db.get(matter.id)
            if doc.get("stage") != stage:
                await self.db.put({**doc, "stage": stage})

        if stage != matter.stage:
            await retry_on_conflict(attempt, what=f"stage of {matter.id}", ids=[matter.id])
        # Its public twin follows the records too (a correction changes what is published).
        await self._publish(matter.id)

    async def _store_record(
        self, matter: Matter, record: StageRecord, attachments: Sequence[NewAttachment]
    ) -> StageRecord:
        checked = [validate_attachment(a.filename, a.data) for a in attachments]  # before writing
        doc = docs.stage_record_to_doc(self.village, matter, record, self.actor)
        if checked:
            names = _unique_names([c.name for c in checked], ())
            doc["_attachments"] = {
                name: {
                    "content_type": c.content_type,
                    "data": base64.b64encode(c.data).decode("ascii"),
                }
                for name, c in zip(names, checked, strict=True)
            }
        first = await self._put_once(doc, docs.stage_record_from_doc)
        if first is not None:
            return first
        stored = await self.db.get(doc["_id"])
        return docs.stage_record_from_doc(stored)

    async def append_stage_record(
        self,
        matter_id: str,
        record: StageRecord,
        *,
        attachments: Sequence[NewAttachment] = (),
        refuse_failed: bool = False,
        key: str | None = None,
        problems: Problems | None = None,
    ) -> StageRecord:
        """Validate through the domain (stage order, fields, quorum, vote arithmetic), then
        store. A failed meeting is stored too (unless ``refuse_failed``) and leaves the stage
        where it was. ``key``: the form's idempotency key (a repeat returns the first record).
        ``problems``: what the caller found wrong already (a field it could not read), raised
        together with the store's own findings; nothing is written then."""
        docid = self._keyed_id(DocType.STAGE_RECORD, key)
        first = await self._first_result(docid, docs.stage_record_from_doc)
        if first is not None:
            return first
        problems = problems if problems is not None else Problems()
        self._check_dates(record, problems)
        await self._check_roster(record, problems)
        matter = await self.get_matter(matter_id)
        history = await self.list_stage_records(matter_id)
        try:
            checked = record_stage(
                matter,
                history,
                replace(record, id="", matter=matter_id),
                await self.rules(),
                refuse_failed=refuse_failed,
                problems=problems,
            )
        except DomainError:
            # The same form, submitted at the same moment, may have been stored since the
            # check above: then this stage is already done (by that very submission).
            first = await self._first_result(docid, docs.stage_record_from_doc)
            if first is not None:
                return first
            raise
        stored = await self._store_record(matter, replace(checked, id=docid or ""), attachments)
        await self._refresh_stage(matter, [*history, stored])
        return stored

    async def correct_record(
        self,
        target_id: str,
        record: StageRecord,
        reason: str,
        *,
        attachments: Sequence[NewAttachment] = (),
        carry: Sequence[str] = (),
        key: str | None = None,
        problems: Problems | None = None,
    ) -> StageRecord:
        """Store a correction of ``target_id``: a new record referencing it, with a reason.
        ``carry``: names of the original's attachments the correction keeps too (copied: the
        original stays as it was); ``attachments``: new ones. ``problems`` as for
        :meth:`append_stage_record`."""
        docid = self._keyed_id(DocType.STAGE_RECORD, key)
        first = await self._first_result(docid, docs.stage_record_from_doc)
        if first is not None:
            return first
        target = await self._get_doc(target_id, missing=N_("要更正的记录不存在"))
        if target.get("type") != DocType.STAGE_RECORD:
            raise NotFound(N_("要更正的记录不存在"), ids=[target_id])
        problems = problems if problems is not None else Problems()
        self._check_dates(record, problems)
        await self._check_roster(record, problems)
        matter = await self.get_matter(target["matter"])
        history = await self.list_stage_records(matter.id)
        checked = correct_stage_record(
            matter,
            history,
            target_id,
            replace(record, id=""),
            reason,
            await self.rules(),
            problems,
        )
        kept = [
            NewAttachment(name, (await self.db.get_attachment(target_id, name))[0])
            for name in carry
            if name in (target.get("_attachments") or {})
        ]
        stored = await self._store_record(
            matter, replace(checked, id=docid or ""), [*kept, *attachments]
        )
        await self._refresh_stage(matter, [*history, stored])
        return stored

    async def _check_roster(self, record: StageRecord, problems: Problems) -> None:
        """Names of attendees and named voters must be on the body's roster on the day."""
        if record.held_at is None or not record.body:
            return
        day = to_shanghai(record.held_at).date()
        roster = await self.meeting_roster(record.body, day)
        check_on_roster(roster, record.attendance, record.vote, problems)

    def _check_dates(self, record: StageRecord, problems: Problems) -> None:
        window = self._window()
        with problems.check():
            window.check(record.held_at, field="held_at")
        with problems.check():
            window.check(
                record.publication.published_at if record.publication else None,
                field="published_at",
            )

    async def add_attachment(self, record_id: str, filename: str, data: bytes) -> AttachmentRef:
        """Add a scan to an existing evidence record (stage record or supervision entry).
        Checked by content; never replaces an existing attachment."""
        checked = validate_attachment(filename, data)

        async def attempt() -> AttachmentRef:
            doc = await self._get_doc(record_id, missing=N_("记录不存在"))
            if doc.get("type") not in (DocType.STAGE_RECORD, DocType.SUPERVISION):
                raise NotFound(N_("记录不存在"), ids=[record_id])
            (name,) = _unique_names([checked.name], list(doc.get("_attachments") or {}))
            await self.db.put_attachment(
                record_id, name, checked.data, checked.content_type, rev=doc["_rev"]
            )
            return AttachmentRef(name, checked.content_type, len(checked.data))

        return await retry_on_conflict(attempt, what=f"attachment to {record_id}", ids=[record_id])

    async def get_attachment(self, record_id: str, name: str) -> tuple[bytes, str]:
        """An evidence record's attachment and the type its bytes prove (JPEG, PNG, PDF), else
        :data:`OPAQUE_CONTENT_TYPE`. Only stage records and supervision entries hold scans; any
        other document (a member's private details, say) is not found. The stored type is not
        trusted: a replicated document can carry any name and type (``text/html``...), and
        uploads made here were checked by content anyway."""
        doc = await self._get_doc(record_id, missing=N_("附件不存在"))
        if doc.get("type") not in (DocType.STAGE_RECORD, DocType.SUPERVISION):
            raise NotFound(N_("附件不存在"), ids=[record_id])
        try:
            data, stored_type = await self.db.get_attachment(record_id, name)
        except NotFoundError:
            raise NotFound(N_("附件不存在"), ids=[record_id]) from None
        sniffed = sniff_content_type(data)
        return (
            data,
            sniffed if sniffed is not None and sniffed == stored_type else OPAQUE_CONTENT_TYPE,
        )
