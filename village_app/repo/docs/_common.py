"""What every document shares: the common fields, and how dates and times are stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from village_app.domain import iso_local
from village_app.repo.actor import Actor

Doc = dict[str, Any]

_Change = TypeVar("_Change")
#: One edit's changes as stored: (field, before, after).
Changes = tuple[tuple[str, str, str], ...]


def base_doc(doc_type: str, village: str, docid: str, actor: Actor) -> Doc:
    return {
        "_id": docid,
        "type": doc_type,
        "village": village,
        "created_at": actor.stamp(),
        "created_by": actor.user,
    }


def store_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def store_time(value: datetime | None) -> str | None:
    return iso_local(value) if value else None


def read_history(
    raw: object, change: Callable[[str, str, Changes], _Change]
) -> tuple[_Change, ...]:
    """An edit history (``[{"at", "by", "changes": [[field, before, after], ...]}]``) read
    leniently: a malformed history loses only itself (the document stays readable, and an
    entry that is not what we write is left out)."""
    if not isinstance(raw, list):
        return ()
    found = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        at, by, changes = entry.get("at"), entry.get("by"), entry.get("changes")
        if not (isinstance(at, str) and isinstance(by, str) and isinstance(changes, list)):
            continue
        rows = tuple(
            (str(c[0]), str(c[1]), str(c[2]))
            for c in changes
            if isinstance(c, list) and len(c) == 3 and all(isinstance(v, str) for v in c)
        )
        found.append(change(at, by, rows))
    return tuple(found)
