"""An in-process index of a village's matters, kept current from the changes feed.

The matters list and the overview need every matter's summary fields; asking
``_find`` for all of them on each page costs a full scan (about a second for
10,000 matters in the embedded store). This keeps the summaries in memory per
open database, built once from a key range of ``_all_docs`` and then brought up to date with
``changes(since=last_seq)`` on every read: one cheap call when nothing changed,
a few rows after a write or a replication. Sequences are compared for nothing
but equality (they are opaque on CouchDB).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from sync.database import Database
from village_app.domain import DocType
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


@dataclass
class _Index:
    seq: Any
    docs: dict[str, Doc] = field(default_factory=dict)
    ordered: list[Doc] | None = None  # newest first; rebuilt lazily after a change
    #: ``ordered`` split by current stage (the list's usual first filter), also lazily.
    by_stage: dict[str, list[Doc]] | None = None

    def changed(self) -> None:
        self.ordered = self.by_stage = None


_INDEXES: weakref.WeakKeyDictionary[Database, dict[str, _Index]] = weakref.WeakKeyDictionary()


def _summary(doc: Doc) -> Doc:
    return {k: doc[k] for k in LIST_FIELDS if k in doc}


async def _build(db: Database, village: str) -> _Index:
    seq = (await db.info())["update_seq"]
    # Changes after `seq` are replayed on the next read; replaying one twice is harmless.
    # Matter ids are `matter:<village>:<ULID>`, so a key range reads exactly them (about twice
    # as fast as the equivalent _find in the embedded store).
    prefix = make_id(DocType.MATTER, village, "")
    rows = (await db.all_docs(startkey=prefix, endkey=prefix + "\ufff0", include_docs=True))["rows"]
    found = [r["doc"] for r in rows if r.get("doc") and r["doc"].get("type") == DocType.MATTER]
    return _Index(seq, {d["_id"]: _summary(d) for d in found if d.get("village") == village})


async def _catch_up(db: Database, village: str, index: _Index) -> None:
    while True:
        result = await db.changes(since=index.seq, include_docs=True, limit=1000)
        rows = result.get("results", [])
        for row in rows:
            doc = row.get("doc") or {}
            if row.get("deleted") or doc.get("_deleted"):
                if index.docs.pop(row["id"], None) is not None:
                    index.changed()
            elif doc.get("type") == DocType.MATTER and doc.get("village") == village:
                index.docs[row["id"]] = _summary(doc)
                index.changed()
        index.seq = result.get("last_seq", index.seq)
        if len(rows) < 1000:
            return


async def matter_summaries(db: Database, village: str, *, stage: str | None = None) -> list[Doc]:
    """Every matter of the village (summary fields), newest first; only those at ``stage``
    when given (from a per-stage split kept with the index: filtering 10,000 summaries by
    stage on every request was most of the matters list's time)."""
    per_db = _INDEXES.setdefault(db, {})
    index = per_db.get(village)
    if index is None:
        index = per_db[village] = await _build(db, village)
    await _catch_up(db, village, index)
    if index.ordered is None:
        index.ordered = sorted(
            index.docs.values(), key=lambda d: (d.get("created_at", ""), d["_id"]), reverse=True
        )
    if stage is None:
        return index.ordered
    if index.by_stage is None:
        index.by_stage = {}
        for d in index.ordered:
            index.by_stage.setdefault(d.get("stage", ""), []).append(d)
    return index.by_stage.get(stage, [])
