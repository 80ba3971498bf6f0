"""An in-process index of a village's matters, kept current from the changes feed.

The matters list and the overview need every matter's summary fields; asking
``_find`` for all of them on each page costs a full scan (about a second for
10,000 matters in the embedded store). This keeps the summaries in memory per
village store's caches, built once from a key range of ``_all_docs`` and then brought up to date with
``changes(since=last_seq)`` on every read: one cheap call when nothing changed,
a few rows after a write or a replication. Sequences are compared for nothing
but equality (they are opaque on CouchDB).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.database import Database
from village_app.domain import DocType
from village_app.repo.docs._fields import MalformedDocument
from village_app.repo.docs.matters import matter_from_doc
from village_app.repo.feed import follow_changes
from village_app.repo.ids import make_id

#: Fields the matters list needs (keeps the index small).
LIST_FIELDS = (
    "_id",
    "_rev",
    "type",
    "village",
    "kind",
    "title",
    "body",
    "year",
    "stage",
    "category",
    "commendation",
    "sensitive",
    "summary",
    "created_at",
    "created_by",
)

Doc = dict[str, Any]


def _summary(doc: Doc) -> Doc:
    return {k: doc[k] for k in LIST_FIELDS if k in doc}


def _readable(doc: Doc) -> bool:
    """Only matters that pass their schema are listed (the quarantine lists the others); a
    ``created_at`` that is a number once stopped the app from starting, in the sort below."""
    try:
        matter_from_doc(doc)
    except MalformedDocument:
        return False
    return True


@dataclass(eq=False)
class MatterIndex:
    """One village's matter summaries in one database, and the sequence they are current to."""

    db: Database
    village: str
    seq: Any = None
    docs: dict[str, Doc] = field(default_factory=dict)
    ordered: list[Doc] | None = None  # newest first; rebuilt lazily after a change
    #: ``ordered`` split by current stage (the list's usual first filter), also lazily.
    by_stage: dict[str, list[Doc]] | None = None
    built: bool = False

    def _changed(self) -> None:
        self.ordered = self.by_stage = None

    async def _build(self) -> None:
        self.seq = (await self.db.info())["update_seq"]
        # Changes after `seq` are replayed on the next read; replaying one twice is harmless.
        # Matter ids are `matter:<village>:<ULID>`, so a key range reads exactly them (about
        # twice as fast as the equivalent _find in the embedded store).
        prefix = make_id(DocType.MATTER, self.village, "")
        rows = (
            await self.db.all_docs(startkey=prefix, endkey=prefix + "\ufff0", include_docs=True)
        )["rows"]
        found = [r["doc"] for r in rows if r.get("doc") and r["doc"].get("type") == DocType.MATTER]
        self.docs = {
            d["_id"]: _summary(d)
            for d in found
            if d.get("village") == self.village and _readable(d)
        }
        self._changed()
        self.built = True

    async def _catch_up(self) -> None:
        self.seq = await follow_changes(self.db, self.seq, self._apply)

    def _apply(self, docid: str, doc: Doc | None) -> None:
        if doc is None:
            if self.docs.pop(docid, None) is not None:
                self._changed()
        elif doc.get("type") == DocType.MATTER and doc.get("village") == self.village:
            if _readable(doc):
                self.docs[docid] = _summary(doc)
            else:
                self.docs.pop(docid, None)
            self._changed()

    async def summaries(self, *, stage: str | None = None) -> list[Doc]:
        """Every matter of the village (summary fields), newest first; only those at ``stage``
        when given (from a per-stage split kept with the index: filtering 10,000 summaries by
        stage on every request was most of the matters list's time)."""
        if not self.built:
            await self._build()
        await self._catch_up()
        if self.ordered is None:
            self.ordered = sorted(
                self.docs.values(), key=lambda d: (d.get("created_at", ""), d["_id"]), reverse=True
            )
        if stage is None:
            return self.ordered
        if self.by_stage is None:
            self.by_stage = {}
            for d in self.ordered:
                self.by_stage.setdefault(d.get("stage", ""), []).append(d)
        return self.by_stage.get(stage, [])
