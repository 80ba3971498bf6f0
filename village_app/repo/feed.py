"""Following a database's changes feed from a sequence: what the in-process indexes (matters,
search, quarantine) share. Sequences are compared for nothing but equality (opaque on CouchDB)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sync.database import Database

_PAGE: Final = 1000


async def follow_changes(
    db: Database, since: Any, on_change: Callable[[str, dict[str, Any] | None], None]
) -> Any:
    """``on_change(id, doc)`` for every change after ``since`` (``doc`` is ``None`` for a
    deletion), read in pages; returns the sequence reached."""
    seq = since
    while True:
        result = await db.changes(since=seq, include_docs=True, limit=_PAGE)
        rows = result.get("results", [])
        for row in rows:
            doc = row.get("doc") or {}
            deleted = row.get("deleted") or doc.get("_deleted")
            on_change(str(row.get("id", "")), None if deleted else doc)
        seq = result.get("last_seq", seq)
        if len(rows) < _PAGE:
            return seq
