"""Records the county refused, kept on the laptop until the secretary has dealt with them.

A refused revision is not retried: the push's checkpoint moves past it, as CouchDB's own
replicator does, so the sync log's line is the only trace a run leaves. This keeps every
refusal in a ``_local`` document of the village database (never replicated), and counts one
as dealt with once the record changed (a new revision will be sent) or a correction
replaces it. The header of every page, the 同步 page and the matter page read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from sync.database import Database
from sync.errors import CouchError, NotFoundError
from village_app.syncing.problems import RefusedRecord

REFUSED_ID: Final = "_local/cunyi_refused"
#: A laptop refused thousands of times keeps the newest this many (a bounded document).
KEEP: Final = 500


async def _kept(db: Database) -> dict[str, Any]:
    try:
        return dict(await db.get_local(REFUSED_ID))
    except NotFoundError:
        return {"_id": REFUSED_ID, "records": {}}


async def _still_refused(db: Database, records: list[RefusedRecord]) -> list[RefusedRecord]:
    """Those whose refused revision is still the laptop's, and that nothing corrects."""
    if not records:
        return []
    found = await db.all_docs(keys=[r.docid for r in records])
    current = {
        row["key"]: row["value"]["rev"]
        for row in found.get("rows", [])
        if isinstance(row.get("value"), dict) and not row["value"].get("deleted")
    }
    corrected: set[str] = set()
    try:
        answer = await db.find(
            {"corrects": {"$in": [r.docid for r in records]}}, fields=["corrects"], limit=KEEP
        )
        corrected = {str(d.get("corrects")) for d in answer.get("docs", [])}
    except CouchError:
        pass  # counted as refused until it can be checked: a flag too many, never one lost
    return [
        r
        for r in records
        if r.docid in current
        and (not r.rev or current[r.docid] == r.rev)
        and r.docid not in corrected
    ]


async def keep_refused(db: Database, refused: Iterable[RefusedRecord]) -> None:
    """Add ``refused`` (newest wins for a record refused twice); drop those dealt with."""
    doc = await _kept(db)
    kept = {
        docid: RefusedRecord.from_json(data)
        for docid, data in (doc.get("records") or {}).items()
        if isinstance(data, dict)
    }
    for record in refused:
        kept.pop(record.docid, None)
        kept[record.docid] = record
    live = await _still_refused(db, list(kept.values())[-KEEP:])
    doc["records"] = {r.docid: r.to_json() for r in live}
    await db.put_local(doc)


async def outstanding_refused(db: Database) -> list[RefusedRecord]:
    """The refusals not yet dealt with, in the order they came."""
    doc = await _kept(db)
    records = [
        RefusedRecord.from_json(data)
        for data in (doc.get("records") or {}).values()
        if isinstance(data, dict)
    ]
    return await _still_refused(db, records)
