"""Helpers for the replication suites: seeding tricky histories, comparing databases."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sync.database import Database, Doc
from sync.errors import NotFoundError

#: The ``make_db`` fixture (tests/sync/conftest.py): a fresh database of the kind named.
MakeDb = Callable[[str], Awaitable[Database]]


def rev(gen: int, tag: str) -> str:
    """A well-formed revision id (``N-<32 hex>``) derived from a readable tag."""
    return f"{gen}-{hashlib.md5(tag.encode()).hexdigest()}"


def _history_doc(
    docid: str, tags: list[str], body: Mapping[str, Any], *, deleted: bool = False
) -> Doc:
    """A revision for ``new_edits=false``: ``tags`` oldest first, the last one the leaf."""
    revs = [rev(i + 1, t) for i, t in enumerate(tags)]
    doc: Doc = {
        "_id": docid,
        "_rev": revs[-1],
        "_revisions": {"start": len(revs), "ids": [r.split("-", 1)[1] for r in reversed(revs)]},
        **body,
    }
    if deleted:
        doc["_deleted"] = True
    return doc


def attachment(size: int, seed: int, content_type: str = "application/octet-stream") -> Doc:
    data = random.Random(seed).randbytes(size)
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


async def seed_tricky(db: Database, *, big_attachment: int = 2_000_000) -> None:
    """Plain docs, a conflict, a deleted branch, a deleted doc, a design doc, binary
    attachments (one of ``big_attachment`` bytes) and a ``_local`` doc."""
    await db.bulk_docs([{"_id": f"plain:{i:03}", "n": i, "text": "村议" * i} for i in range(30)])
    await db.bulk_docs(
        [
            # Two live branches from one ancestor: a conflict.
            _history_doc("matter:conflict", ["c1", "c2a"], {"title": "A"}),
            _history_doc("matter:conflict", ["c1", "c2b", "c3b"], {"title": "B"}),
            # A live branch and a deleted one.
            _history_doc("matter:delbranch", ["d1", "d2"], {"title": "kept"}),
            _history_doc("matter:delbranch", ["d1", "d2x"], {}, deleted=True),
            # Only deleted leaves.
            _history_doc("matter:gone", ["g1", "g2"], {}, deleted=True),
        ],
        new_edits=False,
    )
    await db.put(
        {
            "_id": "_design/village",
            "validate_doc_update": "function (newDoc, oldDoc, userCtx) {}",
            "language": "javascript",
        }
    )
    await db.put(
        {
            "_id": "evidence:photo",
            "kind": "photo",
            "_attachments": {
                "small.bin": attachment(1_000, 1),
                "big.bin": attachment(big_attachment, 2, "image/jpeg"),
            },
        }
    )
    await db.put_local({"_id": "_local/laptop-settings", "theme": "dark"})


def winner_of(leaves: Mapping[str, Doc]) -> str:
    """CouchDB's winning revision: not deleted first, then the highest generation, then
    the greatest revision id."""

    def key(r: str) -> tuple[bool, int, str]:
        gen, _, sig = r.partition("-")
        return (not leaves[r].get("_deleted", False), int(gen), sig)

    return max(leaves, key=key)


def _normal(doc: Mapping[str, Any]) -> Doc:
    out = {k: v for k, v in doc.items() if k not in ("_attachments", "_revisions")}
    atts = doc.get("_attachments") or {}
    out["_attachments"] = {
        name: (a.get("content_type"), base64.b64decode(a["data"]) if "data" in a else None)
        for name, a in atts.items()
    }
    revisions = doc.get("_revisions")
    if revisions:
        out["_revisions"] = (revisions["start"], list(revisions["ids"]))
    return out


async def snapshot(db: Database) -> dict[str, Any]:
    """Every document's leaves (bodies, histories, attachment bytes), winner and conflicts."""
    feed = await db.changes(style="all_docs")
    out: dict[str, Any] = {}
    for row in feed["results"]:
        docid = row["id"]
        found = await db.get(docid, open_revs="all", revs=True, attachments=True)
        leaves = {item["ok"]["_rev"]: item["ok"] for item in found if "ok" in item}
        winner = winner_of(leaves)
        try:
            current = await db.get(docid, conflicts=True)
        except NotFoundError:
            current = None
        if current is not None:
            assert current["_rev"] == winner, f"{db.location}: {docid} winner"
        out[docid] = {
            "leaves": {r: _normal(d) for r, d in leaves.items()},
            "winner": winner,
            "deleted": current is None,
            "conflicts": sorted(current.get("_conflicts", [])) if current else [],
        }
    return out


async def settled_doc_count(db: Database) -> int:
    """The document count once the writes a kill or a cancel cut short have landed or not:
    the peer may still be storing a request it had read in full."""
    counts = [-1]
    while len(counts) < 3 or len(set(counts[-3:])) > 1:
        await asyncio.sleep(0.2)
        counts.append((await db.info())["doc_count"])
    return counts[-1]
