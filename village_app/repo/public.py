"""Public twins: the projection of each record that can be public, kept in step with it.

The kiosk never sees a record, only its twin (see :mod:`village_app.domain.publicity`): for
``matter:V:X`` the document ``public_matter:V:X``, holding the allow-listed fields, or
``withdrawn: true``. Twins are written here and nowhere else, and always **with the revision
ids of their source**: each revision of the record has a twin revision with the same id (in
``new_edits=false`` writes, as replication writes), made from that revision of the record; a
deleted revision's twin is a tombstone that keeps its ``type`` (so the public database's
filter passes it and the kiosk hears of the deletion). The two revision trees are then the
same tree, and CouchDB's choice of winner (not deleted, then the longest branch, then the
greatest rev id) picks the same revision in both, on this laptop, on the county's server, in
the public database and on the kiosk, whatever arrives in whatever order and from how many
laptops. The twin that wins is therefore always made from the record revision that wins:
publicity is decided by the matter itself, and no copied flag can disagree with it.

Only the winning revision's twin carries content; the other revisions' twins say
``withdrawn`` (a conflict's losing version is not shown anywhere), and while the versions of a
record disagree about whether it is public at all, the winner's twin is withdrawn too (fail
closed until the secretary chooses). When what the winner's twin must say changes without the
record changing (a stage record added or corrected, a conflict closed), the record is written
again unchanged ("touched"): its new revision gets the new twin. Touching extends the winning
branch, so the winner stays the winner.

:meth:`PublicTwins.reconcile` brings one record's twin in line; the store calls it after each
write of a twinned record (and of a matter's stage records); :meth:`PublicTwins.reconcile_all`
checks every record at start-up and after every pull (a crash between a record's write and
its twin's, or another laptop's revisions that arrived without their twins)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sync.errors import ConflictError, NotFoundError
from sync.revtree import rev_key
from village_app.domain import DocType, fold_matter, signing
from village_app.domain.dates import utc_stamp
from village_app.domain.publicity import (
    TWIN_PREFIX,
    TWIN_TYPES,
    public_body,
    public_matter,
    public_member,
    public_village,
    public_village_rule,
    same_content,
    source_id,
    twin_doc,
    twin_id,
)
from village_app.domain.services.public import (
    public_claim,
    public_post,
    public_project,
    public_service_log,
)
from village_app.domain.services.vocab import ServiceDoc
from village_app.repo import docs
from village_app.repo.docs import services as sdocs

if TYPE_CHECKING:
    from village_app.repo._base import StoreBase

Doc = dict[str, Any]
log = logging.getLogger(__name__)

#: Rounds of write-and-check for one record before giving up (each touch is one round; a
#: record edited by someone else meanwhile takes another).
_ROUNDS: Final = 4


def twinned(doc_type: object) -> bool:
    return isinstance(doc_type, str) and doc_type in TWIN_TYPES


@dataclass(frozen=True)
class _Leaf:
    rev: str
    doc: Doc  # the body, with _revisions

    @property
    def deleted(self) -> bool:
        return self.doc.get("_deleted") is True

    @property
    def ancestry(self) -> list[str]:
        """This revision and its ancestors, newest first (as ``_revisions`` gives them)."""
        revisions = self.doc.get("_revisions") or {}
        start, ids = revisions.get("start"), revisions.get("ids") or []
        if not isinstance(start, int):
            return [self.rev]
        return [f"{start - i}-{h}" for i, h in enumerate(ids)]


def _winner(leaves: Sequence[_Leaf]) -> _Leaf:
    """CouchDB's winner: a live revision before a deleted one, then the greater revision."""
    return max(leaves, key=lambda leaf: (not leaf.deleted, rev_key(leaf.rev)))


class PublicTwins:
    """The twins of one village store's records."""

    def __init__(self, store: StoreBase) -> None:
        self.store = store
        self.db = store.db
        self.village = store.village

    # -- one record -----------------------------------------------------------------------
    async def reconcile(self, docid: str) -> int:
        """Make ``docid``'s twin agree with it; returns how many documents were written."""
        doc_type = docid.split(":", 1)[0]
        if not twinned(doc_type):
            return 0
        writes = 0
        for _ in range(_ROUNDS):
            source = await self._leaves(docid)
            twin = await self._leaves(twin_id(docid))
            if not source:
                return writes + await self._withdraw_orphan(docid, twin)
            content = await self._contents(doc_type, source)
            if not twin and all(c is None for c in content.values()):
                return writes  # never public: nothing to mirror (no twin for a draft)
            written = await self._mirror(doc_type, docid, source, twin, content)
            writes += written
            if written:
                twin = await self._leaves(twin_id(docid))
            winner = _winner(source)
            wanted = self._wanted(doc_type, docid, winner, source, content)
            top = _winner(twin) if twin else None
            if (
                top is not None
                and top.rev == winner.rev
                and same_content(top.doc, wanted)
                and not self._needs_signature(top.doc)
            ):
                return writes
            if winner.deleted:
                # Nothing to touch; close the twin's stray branch instead (fail closed).
                if top is not None and not top.deleted:
                    writes += await self._tombstone(doc_type, docid, top)
                    continue
                return writes
            try:
                body = {k: v for k, v in winner.doc.items() if k != "_revisions"}
                await self.db.put(body)  # a new revision of the winner, unchanged
                writes += 1
            except ConflictError:
                continue  # written meanwhile: look again
        log.warning("%s: the public twin did not settle after %d rounds", docid, _ROUNDS)
        return writes

    def _wanted(
        self,
        doc_type: str,
        docid: str,
        leaf: _Leaf,
        source: Sequence[_Leaf],
        content: Mapping[str, Doc | None],
    ) -> Doc:
        twin_type = TWIN_TYPES[doc_type]
        tid = twin_id(docid)
        if leaf.deleted:
            return {"_id": tid, "_deleted": True, "type": twin_type, "village": self.village}
        winner = _winner(source)
        live = [x for x in source if not x.deleted]
        contested = any(content.get(x.rev) is None for x in live)
        if leaf.rev != winner.rev or contested:
            return twin_doc(twin_type, self.village, tid, None)
        body = twin_doc(twin_type, self.village, tid, content.get(leaf.rev))
        return self._signed(body)

    def _signed(self, body: Doc) -> Doc:
        """A publication signed with this laptop's key (when it has one: the app loads it at
        start-up; a command without it leaves the twin unsigned, and the app signs it then)."""
        signer = self.store.caches.signer
        if signer is None or body.get("type") != DocType.PUBLIC_MATTER or body.get("withdrawn"):
            return body
        block = signing.sign(body, signer.sign, signer.public.fingerprint, utc_stamp())
        return {**body, signing.SIGNATURE: block}

    def _needs_signature(self, twin: Doc) -> bool:
        return (
            self.store.caches.signer is not None
            and twin.get("type") == DocType.PUBLIC_MATTER
            and not twin.get("withdrawn")
            and not twin.get("_deleted")
            and signing.SIGNATURE not in twin
        )

    async def _mirror(
        self,
        doc_type: str,
        docid: str,
        source: Sequence[_Leaf],
        twin: Sequence[_Leaf],
        content: Mapping[str, Doc | None],
    ) -> int:
        """Write the twin revision of each source leaf it lacks, and close any branch of the
        twin that no source revision continues."""
        have = {leaf.rev for leaf in twin}
        batch = []
        for leaf in source:
            if leaf.rev in have:
                continue
            body = self._wanted(doc_type, docid, leaf, source, content)
            body["_rev"] = leaf.rev
            body["_revisions"] = leaf.doc.get("_revisions") or {
                "start": rev_key(leaf.rev)[0],
                "ids": [rev_key(leaf.rev)[1]],
            }
            batch.append(body)
        writes = 0
        if batch:
            failures = await self.db.bulk_docs(batch, new_edits=False)
            if failures:
                log.warning("%s: twin revisions refused: %s", docid, failures)
            writes += len(batch) - len(failures)
        known = {rev for leaf in source for rev in leaf.ancestry}
        for leaf in twin:
            if not leaf.deleted and leaf.rev not in known:
                writes += await self._tombstone(doc_type, docid, leaf)
        return writes

    async def _tombstone(self, doc_type: str, docid: str, leaf: _Leaf) -> int:
        """End one branch of the twin with a tombstone that keeps its type."""
        body = {
            "_id": twin_id(docid),
            "_rev": leaf.rev,
            "_deleted": True,
            "type": TWIN_TYPES[doc_type],
            "village": self.village,
        }
        try:
            await self.db.put(body)
        except ConflictError:
            return 0
        return 1

    async def _withdraw_orphan(self, docid: str, twin: Sequence[_Leaf]) -> int:
        """A twin whose record is not here at all: end every live branch of it."""
        return sum(
            [await self._tombstone(docid.split(":", 1)[0], docid, x) for x in twin if not x.deleted]
        )

    async def _leaves(self, docid: str) -> list[_Leaf]:
        try:
            found = await self.db.get(docid, open_revs="all", revs=True)
        except NotFoundError:
            return []
        leaves = []
        for item in found:
            doc = item.get("ok") if isinstance(item, Mapping) else None
            if isinstance(doc, dict) and isinstance(doc.get("_rev"), str):
                leaves.append(_Leaf(doc["_rev"], doc))
        return leaves

    async def _contents(self, doc_type: str, source: Sequence[_Leaf]) -> dict[str, Doc | None]:
        """What each live revision makes public (``None``: nothing, or unreadable)."""
        records = None
        if doc_type == DocType.MATTER:
            matter_id = source[0].doc.get("_id", "")
            found = await self.store._find_all({"type": DocType.STAGE_RECORD, "matter": matter_id})
            records = self.store._read(found, docs.stage_record_from_doc)
        out: dict[str, Doc | None] = {}
        for leaf in source:
            if not leaf.deleted:
                out[leaf.rev] = self._content(doc_type, leaf.doc, records)
        return out

    def _content(self, doc_type: str, doc: Doc, records: Sequence[Any] | None) -> Doc | None:
        if doc.get("village") != self.village:
            return None
        body = {k: v for k, v in doc.items() if k != "_revisions"}
        try:
            if doc_type == DocType.MATTER:
                return public_matter(fold_matter(docs.matter_from_doc(body), records or ()))
            project = _PROJECTIONS[doc_type]
            return project(body)
        except Exception:  # unreadable: nothing of it is public (fail closed)
            return None

    # -- every record -----------------------------------------------------------------------
    async def reconcile_all(self) -> int:
        """Check every twinned record of the village against its twin (at start-up and after
        every pull); only those that disagree are reconciled one by one. Returns the writes."""
        feed = await self.db.changes(style="all_docs")
        leaves: dict[str, list[str]] = {}
        deleted: set[str] = set()
        for row in feed.get("results", []):
            leaves[row["id"]] = [c["rev"] for c in row.get("changes", [])]
            if row.get("deleted"):
                deleted.add(row["id"])
        winners = {
            d["_id"]: d for d in await self.store._find_all({"type": {"$in": list(TWIN_TYPES)}})
        }
        twins = {
            d["_id"]: d
            for d in await self.store._find_all({"type": {"$in": list(TWIN_TYPES.values())}})
        }
        records: dict[str, list[Any]] = {}
        raw = await self.store._find_all({"type": DocType.STAGE_RECORD})
        for record in self.store._read(raw, docs.stage_record_from_doc):
            records.setdefault(record.matter, []).append(record)
        suspect: list[str] = []
        for docid, revs in leaves.items():
            doc_type = docid.split(":", 1)[0]
            if docid.startswith(TWIN_PREFIX):
                if source_id(docid) not in leaves and docid not in deleted:
                    suspect.append(source_id(docid))  # an orphan twin
                continue
            if not twinned(doc_type) or docid.split(":")[1:2] != [self.village]:
                continue
            tid = twin_id(docid)
            twin = twins.get(tid)
            if len(revs) != 1 or len(leaves.get(tid, [])) > 1:
                suspect.append(docid)
                continue
            if docid in deleted:
                if tid in leaves and tid not in deleted:
                    suspect.append(docid)
                continue
            winner = winners.get(docid)
            if winner is None:
                suspect.append(docid)
                continue
            content = self._content(doc_type, winner, records.get(docid, ()))
            if twin is None and tid not in leaves:
                if content is not None:
                    suspect.append(docid)
                continue
            wanted = twin_doc(TWIN_TYPES[doc_type], self.village, tid, content)
            if (
                twin is None
                or twin.get("_rev") != winner.get("_rev")
                or not same_content(twin, wanted)
                or self._needs_signature(twin)
            ):
                suspect.append(docid)
        writes = 0
        for docid in dict.fromkeys(suspect):
            writes += await self.reconcile(docid)
        return writes


_PROJECTIONS: Final[Mapping[str, Callable[[Doc], Doc | None]]] = {
    DocType.VILLAGE: lambda d: public_village(docs.village_from_doc(d)),
    DocType.BODY: lambda d: public_body(docs.body_from_doc(d)),
    DocType.MEMBER: lambda d: public_member(docs.member_from_docs(d)),
    DocType.VILLAGE_RULE: lambda d: public_village_rule(docs.village_rule_from_doc(d)),
    ServiceDoc.PROJECT: lambda d: public_project(sdocs.project_from_doc(d)),
    ServiceDoc.POST: lambda d: public_post(sdocs.post_from_doc(d)),
    ServiceDoc.CLAIM: lambda d: public_claim(sdocs.claim_from_doc(d)),
    ServiceDoc.SERVICE_LOG: lambda d: public_service_log(sdocs.service_log_from_doc(d)),
}
