"""What every part of the village store shares: the database, the village, who writes, the
caches; and the few ways a document is read and written (store errors to domain errors)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar, cast

from sync.database import Database
from sync.errors import ConflictError, NotFoundError
from village_app.domain import EditConflict, NotFound, RecordUnreadable, RuleBook
from village_app.domain.dates import DateWindow
from village_app.domain.write_rules import Writer, WriteRefused, check_write
from village_app.i18n import N_
from village_app.repo import docs
from village_app.repo.actor import Actor
from village_app.repo.ids import is_form_key, make_id
from village_app.repo.matter_index import MatterIndex
from village_app.repo.public import PublicTwins, twinned
from village_app.repo.quarantine import QuarantineIndex, Unreadable, check
from village_app.repo.search_index import SearchIndex

Doc = dict[str, Any]
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(eq=False)
class VillageCaches:
    """What is worth keeping between requests for one village database: the matters index and
    the rule book (with the ``update_seq`` it was read at). The app keeps one per village it
    serves; a store made without one (the CLI, the demo loader) starts empty."""

    matters: MatterIndex | None = None
    rules: tuple[object, RuleBook] | None = None
    quarantine: QuarantineIndex | None = None
    search: SearchIndex | None = None
    #: The laptop's keys (``village_app.bundle.keys.KeyPair``): public twins of publications
    #: are signed with them (``None``: left unsigned, as by a command run without them).
    signer: Any = None
    #: Evidence already parsed, by (id, revision): a revision never changes, and checking a
    #: stage record's shape and recomputing its outcome was a tenth of the matter page.
    evidence: dict[tuple[str, str], Any] = field(default_factory=dict)

    def parsed(self, doc: Doc, parse: Callable[[Doc], T]) -> T:
        """``parse(doc)``, once per revision of an evidence document (other parsers, and
        documents without a revision, are parsed every time)."""
        rev = doc.get("_rev")
        if parse not in _EVIDENCE_PARSERS or not isinstance(rev, str):
            return parse(doc)
        key = (str(doc.get("_id")), rev)
        found = self.evidence.get(key)
        if found is None:
            if len(self.evidence) >= _EVIDENCE_CACHE_SIZE:
                self.evidence.clear()  # crude, but bounded; refilled by the next pages
            found = self.evidence[key] = parse(doc)
        return cast(T, found)


#: Parsers of append-only evidence, whose result depends on the revision alone.
_EVIDENCE_PARSERS: Final = frozenset({docs.stage_record_from_doc, docs.supervision_from_doc})
_EVIDENCE_CACHE_SIZE: Final = 20_000


class StoreBase:
    """The fields of :class:`~village_app.repo.store.VillageStore`, for the parts it is made of."""

    db: Database
    village: str
    actor: Actor
    caches: VillageCaches

    async def _find_all(self, selector: Mapping[str, Any]) -> list[Doc]:
        """Every matching document of this village, oldest first (ids are ULIDs, so id order is
        creation order). Sorting here rather than in ``_find`` keeps CouchDB from needing a
        sort index."""
        result = await self.db.find({**selector, "village": self.village})
        docs: list[Doc] = result.get("docs", [])
        docs.sort(key=_creation_order)
        return docs

    def _quarantine(self) -> QuarantineIndex:
        index = self.caches.quarantine
        if index is None or index.db is not self.db:
            index = self.caches.quarantine = QuarantineIndex(self.db, self.village)
        return index

    def _read(self, found: Iterable[Doc], parse: Callable[[Doc], T]) -> list[T]:
        """Each document as a record; one that fails its schema is quarantined and left out."""
        records = []
        for doc in found:
            try:
                records.append(self.caches.parsed(doc, parse))
            except Exception:  # a schema slip must quarantine too: a page never breaks on data
                self._quarantine().note(check(doc, self.village) or _unknown(doc))
        return records

    def _read_one(self, doc: Doc, parse: Callable[[Doc], T]) -> T:
        """The document as a record, or :class:`RecordUnreadable` (it is quarantined)."""
        try:
            return parse(doc)
        except Exception:  # as in _read
            item = check(doc, self.village) or _unknown(doc)
            self._quarantine().note(item)
            raise RecordUnreadable(
                N_("这条记录无法读取，已列入“无法读取的记录”"), ids=[item.id]
            ) from None

    def _window(self) -> DateWindow:
        """The dates a record entered now may carry (not after today, by the actor's clock)."""
        return DateWindow.at(self.actor.now())

    def _keyed_id(self, doc_type: str, key: str | None) -> str | None:
        """The id a new document gets from the form's idempotency key (``None``: no key, or one
        that is not a form key, and the document gets a fresh id)."""
        return make_id(doc_type, self.village, key) if key and is_form_key(key) else None

    async def _first_result(self, docid: str | None, parse: Callable[[Doc], T]) -> T | None:
        """What the first submission of a form made (``None`` if it made nothing yet)."""
        if docid is None:
            return None
        try:
            return self._read_one(await self._get_doc(docid, missing=N_("记录不存在")), parse)
        except NotFound:
            return None

    async def _put_once(self, doc: Mapping[str, Any], parse: Callable[[Doc], T]) -> T | None:
        """Write a new document; when a submission of the same form got there first (the same
        id), its result instead (``None``: this one was written)."""
        try:
            await self._put_new(doc)
        except EditConflict:
            first = await self._first_result(doc["_id"], parse)
            if first is None:
                raise
            return first
        return None

    async def unreadable(self) -> list[Unreadable]:
        """Every quarantined document of the village (the whole database is checked)."""
        return await self._quarantine().catch_up()

    async def _get_doc(self, docid: str, *, missing: str, conflicts: bool = False) -> Doc:
        """A document of this village, or :class:`NotFound` (also for another village's id)
        saying ``missing`` (a msgid)."""
        try:
            doc: Doc = await self.db.get(docid, conflicts=conflicts)
        except NotFoundError:
            doc = {}
        if not doc or doc.get("village") != self.village:
            raise NotFound(missing, ids=[docid])
        return doc

    def _check_write(self, doc: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
        """Refuse here what the county's CouchDB would refuse at the next sync (one set of
        rules: :mod:`village_app.domain.write_rules`)."""
        writer = Writer.secretary(self.actor.user, self.village)
        refusal = check_write(doc, old, writer, self.village)
        if refusal is not None:
            raise WriteRefused.of(refusal)

    async def _put_editable(self, doc: Mapping[str, Any]) -> str:
        """Write an editable document; a stale revision becomes :class:`EditConflict`.
        Returns the new rev."""
        old: Doc | None = None
        if doc.get("_rev"):
            with contextlib.suppress(NotFoundError):
                old = await self.db.get(str(doc["_id"]))
        if old is not None:
            # Fields this version does not know (a newer laptop's, the county's) are kept as
            # they were: documents are rebuilt from the domain's dataclasses, which drop them.
            doc = {**{k: v for k, v in old.items() if not k.startswith("_")}, **doc}
        self._check_write(doc, old)
        try:
            result = await self.db.put(doc)
        except ConflictError as exc:
            raise EditConflict(N_("此记录已被他人修改，请刷新后再试"), ids=[doc["_id"]]) from exc
        await self._publish(str(doc["_id"]))
        return str(result["rev"])

    async def _put_new(self, doc: Mapping[str, Any]) -> str:
        """Write a new (append-only) document."""
        self._check_write(doc, None)
        try:
            result = await self.db.put(doc)
        except ConflictError as exc:
            raise EditConflict(N_("记录已存在"), ids=[doc["_id"]]) from exc
        await self._publish(str(doc["_id"]))
        return str(result["rev"])

    async def _publish(self, docid: str) -> None:
        """Keep a record's public twin in step with it (:mod:`village_app.repo.public`). The
        record is saved whatever happens here: a twin left behind is put right at the next
        start-up or pull, so a failure is logged, not raised."""
        if not twinned(docid.split(":", 1)[0]):
            return
        try:
            await PublicTwins(self).reconcile(docid)
        except Exception:
            log.warning("%s: the public twin was not updated", docid, exc_info=True)


def _creation_order(doc: Mapping[str, Any]) -> tuple[str, str]:
    """Ids are ULIDs, so id order is creation order; a malformed ``created_at`` (a number, null)
    sorts first instead of breaking the sort."""
    created = doc.get("created_at")
    return (created if isinstance(created, str) else "", str(doc.get("_id", "")))


def _unknown(doc: Mapping[str, Any]) -> Unreadable:
    return Unreadable(
        str(doc.get("_id")), str(doc.get("_rev", "")), str(doc.get("type")), "unreadable"
    )
