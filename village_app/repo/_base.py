"""What every part of the village store shares: the database, the village, who writes, the
caches; and the few ways a document is read and written (store errors to domain errors)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.database import Database
from sync.errors import ConflictError, NotFoundError
from village_app.domain import EditConflict, NotFound, RuleBook
from village_app.repo.actor import Actor
from village_app.repo.matter_index import MatterIndex

Doc = dict[str, Any]


@dataclass(eq=False)
class VillageCaches:
    """What is worth keeping between requests for one village database: the matters index and
    the rule book (with the ``update_seq`` it was read at). The app keeps one per village it
    serves; a store made without one (the CLI, the demo loader) starts empty."""

    matters: MatterIndex | None = None
    rules: tuple[object, RuleBook] | None = None


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
        docs.sort(key=lambda d: (d.get("created_at", ""), d["_id"]))
        return docs

    async def _get_doc(self, docid: str, *, what_zh: str, conflicts: bool = False) -> Doc:
        """A document of this village, or :class:`NotFound` (also for another village's id)."""
        try:
            doc: Doc = await self.db.get(docid, conflicts=conflicts)
        except NotFoundError:
            doc = {}
        if not doc or doc.get("village") != self.village:
            raise NotFound(f"{what_zh}不存在", f"no such document: {docid}", ids=[docid])
        return doc

    async def _put_editable(self, doc: Mapping[str, Any]) -> str:
        """Write an editable document; a stale revision becomes :class:`EditConflict`.
        Returns the new rev."""
        try:
            result = await self.db.put(doc)
        except ConflictError as exc:
            raise EditConflict(
                "此记录已被他人修改，请刷新后再试",
                f"{doc['_id']} changed since it was read",
                ids=[doc["_id"]],
            ) from exc
        return str(result["rev"])

    async def _put_new(self, doc: Mapping[str, Any]) -> str:
        """Write a new (append-only) document."""
        try:
            result = await self.db.put(doc)
        except ConflictError as exc:
            raise EditConflict("记录已存在", f"{doc['_id']} already exists", ids=[doc["_id"]]) from exc
        return str(result["rev"])
