"""One village as the county index holds it, computed from the village's mirror.

The mirror is the county's own copy of ``village_<code>`` (an embedded store the
indexer pulls into). Everything here reads it and writes nothing: the matters'
stages are folded from their records by the village store (what ``repair_derived``
would write on a laptop is computed, not written), documents that fail their
schema are listed, never fatal.

Reviews (``review:<code>:<ULID>``, written by county staff into the village
database) are read here from their raw fields, defensively: a malformed one is
listed as unreadable and counts for nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sync.database import Database
from village_app.county.services_summary import ServiceSummary, summarise_services
from village_app.domain import DocType, MatterView, StageRecord
from village_app.domain.dates import EARLIEST, LATEST, now_utc, to_shanghai, utc_stamp
from village_app.domain.procedure import PUBLICATION_STAGES
from village_app.domain.services import ServiceDoc
from village_app.domain.timeliness import (
    DEFAULT_PUBLICATION_RULE,
    PublicationRule,
    publication_deadline,
)
from village_app.repo import VillageCaches, VillageStore, docs
from village_app.repo.docs._fields import MalformedDocument
from village_app.repo.feed import follow_changes
from village_app.repo.quarantine import Unreadable, check

#: The stages whose record is the resolution, and the publication of that resolution.
RESOLUTION_STAGES: Final = frozenset({"resolution", "council_resolution"})
RESOLUTION_PUBLICATION_STAGES: Final = frozenset({"resolution_publication", "council_publication"})
#: Records the county reviews: a matter whose record of one of these stages arrived after
#: its last review is in the review queue.
REVIEWED_STAGES: Final = RESOLUTION_STAGES | PUBLICATION_STAGES
#: The county's service lists in a village's database (resource copies, projects, pairings):
#: checked like any record, but not the village's activity (see _Scan).
COUNTY_LISTS: Final = frozenset({ServiceDoc.RESOURCE, ServiceDoc.PROJECT, ServiceDoc.PAIRING})


@dataclass(frozen=True)
class ReviewNote:
    """What the index needs of a review document."""

    id: str
    matter_id: str
    decision: str  # "recorded" (备案) or "returned" (退回)
    created_at: str  # UTC stamp
    created_by: str
    #: The record ids the reviewer saw, when the review lists them (``records``): then a
    #: record is new to the county by its id, whatever the laptops' clocks said.
    records: frozenset[str] | None = None


def review_from_doc(doc: Mapping[str, Any]) -> ReviewNote:
    """What the index needs of a review document (the one schema, :mod:`repo.docs.reviews`),
    or :class:`MalformedDocument`."""
    review = docs.review_from_doc(doc)
    return ReviewNote(
        id=review.id,
        matter_id=review.matter_id,
        decision=review.decision,
        created_at=review.created_at,
        created_by=review.created_by,
        records=frozenset(review.records) if "records" in doc else None,
    )


@dataclass(frozen=True)
class MatterSummary:
    """One matter's row. Times are UTC stamps (``...Z``) or ``None``."""

    id: str
    title: str
    body: str
    kind: str
    procedure: str
    stage: str  # the next stage to do (from the records), or "completed"
    created_at: str | None
    latest_evidence_at: str | None  # the newest stage record's created_at
    resolution_at: str | None  # the resolution meeting (its held_at)
    publication_required: bool  # whether the procedure publishes the resolution
    publication_due_at: str | None  # the last moment it may be published
    published_at: str | None  # when the resolution was published
    evidence_at: str | None  # the newest resolution or publication record's created_at
    last_review_at: str | None
    last_review_decision: str | None
    review_pending: bool


@dataclass(frozen=True)
class OpenThread:
    """A supervision thread not closed yet."""

    id: str
    matter_id: str | None
    status: str
    opened_at: str | None


@dataclass(frozen=True)
class VillageSummary:
    code: str
    doc_count: int
    #: The newest created_at / updated_at of the village's own documents (reviews, written
    #: by the county, left out): the laptop's last activity.
    last_record_at: str | None
    #: A digest of the ids and revisions of the village's own documents: when it changes,
    #: the village (not the county) changed something.
    village_digest: str
    matters: tuple[MatterSummary, ...]
    open_threads: tuple[OpenThread, ...]
    unreadable: tuple[Unreadable, ...]
    reviews: int
    stage_counts: dict[str, int] = field(default_factory=dict)
    services: ServiceSummary | None = None


def as_stamp(value: object) -> str | None:
    """A time as a UTC stamp, or ``None`` when it is missing or not a time with an offset."""
    if isinstance(value, datetime):
        moment: datetime | None = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    if not EARLIEST <= moment.date() <= LATEST or not (
        EARLIEST <= moment.astimezone(UTC).date() <= LATEST
    ):
        return None
    return utc_stamp(moment)


def _newest(values: Iterable[str | None]) -> str | None:
    present = [v for v in values if v]
    return max(present) if present else None


#: Evidence parsed once for both the scan and the store (through the store's caches).
_EVIDENCE: Final[dict[str, Callable[[dict[str, Any]], object]]] = {
    DocType.STAGE_RECORD.value: docs.stage_record_from_doc,
    DocType.SUPERVISION.value: docs.supervision_from_doc,
}


@dataclass
class _Scan:
    """One pass over the mirror's documents: counts, last activity, reviews, unreadable."""

    code: str
    caches: VillageCaches
    live: set[str] = field(default_factory=set)
    last_record_at: str | None = None
    revisions: dict[str, str] = field(default_factory=dict)
    reviews: dict[str, ReviewNote] = field(default_factory=dict)
    unreadable: dict[str, Unreadable] = field(default_factory=dict)

    def apply(self, docid: str, doc: dict[str, Any] | None) -> None:
        for found in (self.revisions, self.reviews, self.unreadable):
            found.pop(docid, None)
        self.live.discard(docid)
        if doc is None or docid.startswith("_design/"):
            return
        if doc.get("type") in COUNTY_LISTS:
            # Written by the county (a resource list is sent to every village it covers):
            # neither a record the village sent nor a sign that its laptop synced.
            problem = check(doc, self.code)
            if problem is not None:
                self.unreadable[docid] = problem
            return
        self.live.add(docid)
        if doc.get("type") == DocType.REVIEW:
            try:
                review = review_from_doc(doc)
                if doc.get("village") != self.code:
                    raise MalformedDocument(docid, doc.get("_rev"), "village: another village")
                self.reviews[docid] = review
            except MalformedDocument as exc:
                self.unreadable[docid] = Unreadable(exc.docid, exc.rev, "review", exc.reason)
            return
        self.revisions[docid] = str(doc.get("_rev", ""))
        problem = self._check(doc)
        if problem is not None:
            self.unreadable[docid] = problem
        latest = _newest([as_stamp(doc.get("created_at")), as_stamp(doc.get("updated_at"))])
        if latest and (self.last_record_at is None or latest > self.last_record_at):
            self.last_record_at = latest

    def _check(self, doc: dict[str, Any]) -> Unreadable | None:
        """:func:`check`, but evidence of this village is parsed into the store's cache,
        where the store finds it parsed already."""
        parse = _EVIDENCE.get(str(doc.get("type")))
        if parse is None or doc.get("village") != self.code:
            return check(doc, self.code)
        try:
            self.caches.parsed(doc, parse)
        except Exception:  # the reason, as check() words it
            return check(doc, self.code) or Unreadable(
                str(doc.get("_id")), str(doc.get("_rev", "")), str(doc.get("type")), "unreadable"
            )
        return None

    def digest(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        for docid in sorted(self.revisions):
            h.update(f"{docid}\0{self.revisions[docid]}\n".encode())
        return h.hexdigest()


def _records(view: MatterView) -> list[StageRecord]:
    """Every record of the matter: failed meetings and superseded versions included."""
    return [r for stage in view.stages for chain in stage.attempts for r in chain.versions]


def matter_summary(
    view: MatterView,
    reviews: Sequence[ReviewNote],
    rule: PublicationRule = DEFAULT_PUBLICATION_RULE,
) -> MatterSummary:
    """The row of one folded matter, with the reviews of it."""
    matter = view.matter
    records = _records(view)
    resolution = next((s.record for s in view.stages if s.spec.key in RESOLUTION_STAGES), None)
    publication = next(
        (s.record for s in view.stages if s.spec.key in RESOLUTION_PUBLICATION_STAGES), None
    )
    required = any(s.spec.key in RESOLUTION_PUBLICATION_STAGES for s in view.stages)
    resolved = resolution.held_at if resolution is not None else None
    due = (
        publication_deadline(major=matter.major, resolved_at=resolved, rule=rule)
        if required and resolved is not None
        else None
    )
    published = (
        publication.publication.published_at
        if publication is not None and publication.publication is not None
        else None
    )
    reviewed = [r for r in records if r.stage in REVIEWED_STAGES]
    evidence_at = _newest(as_stamp(r.created_at) for r in reviewed)
    last = max(reviews, key=lambda r: (r.created_at, r.id)) if reviews else None
    if not reviewed:
        pending = False
    elif last is None:
        pending = True
    elif last.records is not None:
        pending = any(r.id not in last.records for r in reviewed)
    else:
        pending = evidence_at is not None and evidence_at > last.created_at
    return MatterSummary(
        id=matter.id,
        title=matter.title,
        body=matter.body,
        kind=matter.kind,
        procedure=matter.procedure,
        stage=view.current_stage,
        created_at=as_stamp(matter.created_at),
        latest_evidence_at=_newest(as_stamp(r.created_at) for r in records),
        resolution_at=as_stamp(resolved),
        publication_required=required,
        publication_due_at=as_stamp(due),
        published_at=as_stamp(published),
        evidence_at=evidence_at,
        last_review_at=last.created_at if last else None,
        last_review_decision=last.decision if last else None,
        review_pending=pending,
    )


async def summarise(
    mirror: Database, code: str, *, rule: PublicationRule = DEFAULT_PUBLICATION_RULE
) -> VillageSummary:
    """Read the village's mirror and summarise it (nothing is written to it)."""
    caches = VillageCaches()
    scan = _Scan(code, caches)
    await follow_changes(mirror, 0, scan.apply)
    store = VillageStore(mirror, code, caches=caches)
    views = await store.matter_views()
    threads = await store.list_supervision(open_only=True)
    by_matter: dict[str, list[ReviewNote]] = {}
    for review in scan.reviews.values():
        by_matter.setdefault(review.matter_id, []).append(review)
    matters = tuple(matter_summary(v, by_matter.get(v.matter.id, []), rule) for v in views)
    counts: dict[str, int] = {}
    for m in matters:
        counts[m.stage] = counts.get(m.stage, 0) + 1
    return VillageSummary(
        code=code,
        doc_count=len(scan.live),
        last_record_at=scan.last_record_at,
        village_digest=scan.digest(),
        matters=matters,
        open_threads=tuple(
            OpenThread(
                t.id,
                t.first.matter,
                t.status,
                as_stamp(t.first.noted_at) or as_stamp(t.first.created_at),
            )
            for t in threads
        ),
        unreadable=tuple(sorted(scan.unreadable.values(), key=lambda u: (u.type, u.id))),
        reviews=len(scan.reviews),
        stage_counts=counts,
        services=await summarise_services(store, today=to_shanghai(now_utc()).date().isoformat()),
    )
