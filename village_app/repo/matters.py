"""Matters and their evidence: stage records, corrections, attachments, the folded view."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypedDict, Unpack

from sync.database import Database
from sync.errors import ConflictError, NotFoundError
from village_app.domain import (
    AttachmentRef,
    DocType,
    EditConflict,
    Matter,
    MatterView,
    NotFound,
    StageRecord,
    ValidationError,
    correct_stage_record,
    done_stages,
    fold_matter,
    record_stage,
    validate_attachment,
    validate_matter,
)
from village_app.domain.attachments import sniff_content_type
from village_app.domain.procedure import current_stage_key
from village_app.repo import docs
from village_app.repo._base import find_all, get_doc, put_editable, put_new
from village_app.repo.actor import Actor
from village_app.repo.conflicts import resolve_conflict
from village_app.repo.matter_index import LIST_FIELDS, matter_summaries
from village_app.repo.organisation import get_rules
from village_app.repo.supervision import list_supervision_entries


@dataclass(frozen=True)
class NewAttachment:
    """An upload to store with a record: the name given and the bytes (checked by content)."""

    filename: str
    data: bytes


async def create_matter(db: Database, village: str, matter: Matter, actor: Actor) -> Matter:
    matter = validate_matter(replace(matter, id="", village=village, rev=""))
    matter = replace(matter, stage=current_stage_key(matter.kind, ()))
    doc = docs.matter_to_doc(village, matter, actor)
    rev = await put_new(db, doc)
    return docs.matter_from_doc({**doc, "_rev": rev})


async def get_matter(db: Database, village: str, matter_id: str) -> Matter:
    """The matter with its revision and any conflicting revisions (``conflicts``)."""
    doc = await get_doc(db, matter_id, village=village, what_zh="事项", conflicts=True)
    if doc.get("type") != DocType.MATTER:
        raise NotFound("事项不存在", f"{matter_id} is not a matter", ids=[matter_id])
    return docs.matter_from_doc(doc)


async def update_matter(db: Database, village: str, matter: Matter, actor: Actor) -> Matter:
    """Edit title, summary, category (and commendation). ``matter.rev`` must be the revision read;
    the stage is kept as the store knows it."""
    old = await get_matter(db, village, matter.id)
    if not matter.rev:
        raise ValidationError(
            "缺少版本信息，请刷新后再试", "the revision read is required", field="rev"
        )
    checked = validate_matter(replace(matter, kind=old.kind, body=old.body, village=village))
    doc = docs.matter_to_doc(
        village,
        replace(checked, stage=old.stage, created_at=old.created_at, created_by=old.created_by),
        actor,
    )
    doc["updated_at"], doc["updated_by"] = actor.stamp(), actor.user
    rev = await put_editable(db, doc)
    updated = docs.matter_from_doc({**doc, "_rev": rev})
    await sync_record_flags(db, village, updated)
    return updated


async def resolve_matter_conflict(
    db: Database, village: str, matter_id: str, chosen: Mapping[str, Any], actor: Actor
) -> Matter:
    """Keep the version the secretary chose; its publicity flags then hold for the records too,
    and its stage is recomputed from the records (the version chosen may predate some)."""
    await resolve_conflict(db, village, matter_id, chosen, actor)
    matter = await get_matter(db, village, matter_id)
    await sync_record_flags(db, village, matter)
    await _refresh_stage(db, village, matter, await list_stage_records(db, village, matter_id), actor)
    return await get_matter(db, village, matter_id)


async def sync_record_flags(db: Database, village: str, matter: Matter) -> None:
    """Copy the matter's ``sensitive``/``commendation`` onto its stage records.

    The kiosk's filter reads these flags on each record (a filter sees one document at a
    time), so a matter no longer published as a commendation must take its records with it.
    The flags say who may read the record, not what happened: changing them is not an edit
    of the evidence.
    """
    wanted = {"sensitive": matter.sensitive, "commendation": matter.commendation}
    for _ in range(3):  # a record written meanwhile conflicts: read again and retry
        stale = [
            {**d, **wanted}
            for d in await find_all(
                db, {"type": DocType.STAGE_RECORD, "village": village, "matter": matter.id}
            )
            if any(d.get(k) != v for k, v in wanted.items())
        ]
        if not stale:
            return
        await db.bulk_docs(stale)


class MatterQuery(TypedDict, total=False):
    """The filters and the page of :func:`list_matters` / :func:`find_matters`."""

    stage: str | None
    body: str | None
    year: int | None
    kind: str | None
    limit: int | None
    skip: int


async def list_matters(db: Database, village: str, **query: Unpack[MatterQuery]) -> list[Matter]:
    """Matters, newest first, filtered by current stage, body, year, kind (from the
    in-process index, see :mod:`village_app.repo.matter_index`)."""
    found, _ = await find_matters(db, village, **query)
    return found


async def find_matters(
    db: Database,
    village: str,
    *,
    stage: str | None = None,
    body: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    limit: int | None = None,
    skip: int = 0,
) -> tuple[list[Matter], int]:
    """One page of :func:`list_matters` and how many matters the filters select in all.

    The index hands over the matters at ``stage`` directly; each other filter is one plain
    list comprehension over what is left (ten times faster in Python than one loop testing
    every filter per matter through a generator); the count is the length of what is left.
    Only the page's rows become :class:`Matter` objects."""
    found = await matter_summaries(db, village, stage=stage or None)
    for key, value in (("body", body), ("year", year), ("kind", kind)):
        if value not in (None, ""):
            found = [d for d in found if d.get(key) == value]
    end = None if limit is None else skip + limit
    return [docs.matter_from_doc(d) for d in found[skip:end]], len(found)


async def warm_up(db: Database, village: str) -> None:
    """Build the matters index now (at start-up), so the first page asked for does not pay
    for reading every matter (about 0.3 s for 10,000)."""
    await matter_summaries(db, village)


async def list_stage_records(db: Database, village: str, matter_id: str) -> list[StageRecord]:
    found = await find_all(
        db, {"type": DocType.STAGE_RECORD, "village": village, "matter": matter_id}
    )
    return [docs.stage_record_from_doc(d) for d in found]


async def matter_view(db: Database, village: str, matter_id: str) -> MatterView:
    """Everything the matter page shows: stages with attempts and corrections, attachments,
    supervision threads."""
    matter = await get_matter(db, village, matter_id)
    records = await list_stage_records(db, village, matter_id)
    supervision = await list_supervision_entries(db, village, matter=matter_id)
    return fold_matter(matter, records, supervision)


async def _refresh_stage(
    db: Database, village: str, matter: Matter, records: Sequence[StageRecord], actor: Actor
) -> None:
    """Keep the matter's denormalised ``stage`` (for lists and the kiosk filter) in step."""
    for _ in range(3):
        stage = current_stage_key(matter.kind, done_stages(records))
        if stage == matter.stage:
            return
        doc = await db.get(matter.id)
        doc["stage"] = stage
        try:
            await db.put(doc)
            return
        except ConflictError:
            matter = await get_matter(
                db, village, matter.id
            )  # edited meanwhile: take theirs, retry


async def _store_record(
    db: Database,
    village: str,
    matter: Matter,
    record: StageRecord,
    attachments: Sequence[NewAttachment],
    actor: Actor,
) -> StageRecord:
    checked = [
        validate_attachment(a.filename, a.data) for a in attachments
    ]  # before anything is written
    doc = docs.stage_record_to_doc(village, matter, record, actor)
    if checked:
        names = _unique_names([c.name for c in checked], ())
        doc["_attachments"] = {
            name: {"content_type": c.content_type, "data": base64.b64encode(c.data).decode("ascii")}
            for name, c in zip(names, checked, strict=True)
        }
    await put_new(db, doc)
    stored = await db.get(doc["_id"])
    return docs.stage_record_from_doc(stored)


async def append_stage_record(
    db: Database,
    village: str,
    matter_id: str,
    record: StageRecord,
    actor: Actor,
    *,
    attachments: Sequence[NewAttachment] = (),
    refuse_failed: bool = False,
) -> StageRecord:
    """Validate through the domain (stage order, fields, quorum, vote arithmetic), then store.
    A failed meeting is stored too (unless ``refuse_failed``) and leaves the stage where it was."""
    matter = await get_matter(db, village, matter_id)
    history = await list_stage_records(db, village, matter_id)
    rules = await get_rules(db, village)
    checked = record_stage(
        matter,
        history,
        replace(record, id="", matter=matter_id),
        rules,
        refuse_failed=refuse_failed,
    )
    stored = await _store_record(db, village, matter, checked, attachments, actor)
    await _refresh_stage(db, village, matter, [*history, stored], actor)
    return stored


async def correct_record(
    db: Database,
    village: str,
    target_id: str,
    record: StageRecord,
    reason: str,
    actor: Actor,
    *,
    attachments: Sequence[NewAttachment] = (),
) -> StageRecord:
    """Store a correction of ``target_id``: a new record referencing it, with a reason."""
    target = await get_doc(db, target_id, village=village, what_zh="记录")
    if target.get("type") != DocType.STAGE_RECORD:
        raise NotFound("要更正的记录不存在", f"{target_id} is not a stage record", ids=[target_id])
    matter = await get_matter(db, village, target["matter"])
    history = await list_stage_records(db, village, matter.id)
    rules = await get_rules(db, village)
    checked = correct_stage_record(
        matter, history, target_id, replace(record, id=""), reason, rules
    )
    stored = await _store_record(db, village, matter, checked, attachments, actor)
    await _refresh_stage(db, village, matter, [*history, stored], actor)
    return stored


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


async def add_attachment(
    db: Database, village: str, record_id: str, filename: str, data: bytes, actor: Actor
) -> AttachmentRef:
    """Add a scan to an existing evidence record (stage record or supervision entry). Checked by
    content; never replaces an existing attachment."""
    checked = validate_attachment(filename, data)
    for _ in range(3):
        doc = await get_doc(db, record_id, village=village, what_zh="记录")
        if doc.get("type") not in (DocType.STAGE_RECORD, DocType.SUPERVISION):
            raise NotFound("记录不存在", f"{record_id} does not take attachments", ids=[record_id])
        (name,) = _unique_names([checked.name], list(doc.get("_attachments") or {}))
        try:
            await db.put_attachment(
                record_id, name, checked.data, checked.content_type, rev=doc["_rev"]
            )
        except ConflictError:
            continue
        return AttachmentRef(name, checked.content_type, len(checked.data))
    raise EditConflict(
        "记录正被同时修改，附件未保存，请重试",
        f"could not attach to {record_id}: kept conflicting",
        ids=[record_id],
    )


#: What a served attachment is said to be when its bytes are not a scan we accept.
OPAQUE_CONTENT_TYPE = "application/octet-stream"


async def get_attachment(
    db: Database, village: str, record_id: str, name: str
) -> tuple[bytes, str]:
    """An evidence record's attachment and the type its bytes prove (JPEG, PNG, PDF), else
    :data:`OPAQUE_CONTENT_TYPE`. Only stage records and supervision entries hold scans; any other
    document (a member's private details, say) is not found. The stored type is not trusted:
    a replicated document can carry any name and type (``text/html``...), and uploads made
    here were checked by content anyway."""
    doc = await get_doc(db, record_id, village=village, what_zh="记录")
    if doc.get("type") not in (DocType.STAGE_RECORD, DocType.SUPERVISION):
        raise NotFound("附件不存在", f"{record_id} holds no attachments", ids=[record_id])
    try:
        data, stored_type = await db.get_attachment(record_id, name)
    except NotFoundError:
        raise NotFound(
            "附件不存在", f"no attachment {name!r} on {record_id}", ids=[record_id]
        ) from None
    sniffed = sniff_content_type(data)
    return data, sniffed if sniffed is not None and sniffed == stored_type else OPAQUE_CONTENT_TYPE


async def stage_counts(db: Database, village: str, *, kind: str | None = None) -> dict[str, int]:
    """How many matters (of one kind, or all) are at each stage (for the overview)."""
    counts: dict[str, int] = {}
    for d in await matter_summaries(db, village):
        if kind is None or d.get("kind") == kind:
            counts[d.get("stage", "")] = counts.get(d.get("stage", ""), 0) + 1
    return counts


__all__ = [
    "LIST_FIELDS",
    "OPAQUE_CONTENT_TYPE",
    "NewAttachment",
    "add_attachment",
    "append_stage_record",
    "correct_record",
    "create_matter",
    "find_matters",
    "get_attachment",
    "get_matter",
    "list_matters",
    "list_stage_records",
    "matter_view",
    "resolve_matter_conflict",
    "stage_counts",
    "sync_record_flags",
    "update_matter",
    "warm_up",
]
