"""Helpers shared by the repo modules: store errors to domain errors, finding by type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.database import Database
from sync.errors import ConflictError, NotFoundError
from village_app.domain import EditConflict, NotFound

Doc = dict[str, Any]


async def find_all(db: Database, selector: Mapping[str, Any]) -> list[Doc]:
    """Every matching document, oldest first (ids are ULIDs, so id order is creation order).
    Sorting here rather than in ``_find`` keeps CouchDB from needing a sort index."""
    result = await db.find(selector)
    docs: list[Doc] = result.get("docs", [])
    docs.sort(key=lambda d: (d.get("created_at", ""), d["_id"]))
    return docs


async def get_doc(
    db: Database, docid: str, *, village: str, what_zh: str, conflicts: bool = False
) -> Doc:
    """A document of this village, or :class:`NotFound` (also for another village's id)."""
    try:
        doc: Doc = await db.get(docid, conflicts=conflicts)
    except NotFoundError:
        doc = {}
    if not doc or doc.get("village") != village:
        raise NotFound(f"{what_zh}不存在", f"no such document: {docid}", ids=[docid])
    return doc


async def put_editable(db: Database, doc: Mapping[str, Any]) -> str:
    """Write an editable document; a stale revision becomes :class:`EditConflict`. Returns the new rev."""
    try:
        result = await db.put(doc)
    except ConflictError as exc:
        raise EditConflict(
            "此记录已被他人修改，请刷新后再试",
            f"{doc['_id']} changed since it was read",
            ids=[doc["_id"]],
        ) from exc
    return str(result["rev"])


async def put_new(db: Database, doc: Mapping[str, Any]) -> str:
    """Write a new (append-only) document."""
    try:
        result = await db.put(doc)
    except ConflictError as exc:
        raise EditConflict("记录已存在", f"{doc['_id']} already exists", ids=[doc["_id"]]) from exc
    return str(result["rev"])
