"""What every document shares: the common fields, and how dates and times are stored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from village_app.domain import iso_local
from village_app.repo.actor import Actor

Doc = dict[str, Any]


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
