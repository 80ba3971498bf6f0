"""Bad requests: every store refuses them with the same named error and changes nothing.

Each case runs on both stores against a database holding a few documents (one
with a conflict and a tombstone); a snapshot of everything observable (info
counts, update_seq, both changes styles, all_docs, the docs' leaves) must be
identical before and after the refused call, and no change may follow the
last seq seen before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sync.database import MAX_DOCUMENT_SIZE, Database
from sync.errors import BadRequestError, CouchError, DocumentTooLargeError

Call = Callable[[Database], Awaitable[Any]]

SEED_REV = "2-" + "b" * 32


async def seed(db: Database) -> None:
    await db.put({"_id": "a", "n": 1})
    gone = await db.put({"_id": "gone"})
    await db.delete("gone", gone["rev"])
    await db.bulk_docs(
        [
            {"_id": "c", "_rev": SEED_REV, "_revisions": {"start": 2, "ids": ["b" * 32, "a" * 32]}},
            {
                "_id": "c",
                "_rev": "2-" + "c" * 32,
                "_revisions": {"start": 2, "ids": ["c" * 32, "a" * 32]},
            },
        ],
        new_edits=False,
    )


async def snapshot(db: Database) -> dict[str, Any]:
    info = await db.info()
    main = await db.changes()
    every = await db.changes(style="all_docs")
    leaves = {row["id"]: await db.get(row["id"], open_revs="all") for row in main["results"]}
    # Rows sorted: a clustered CouchDB's feed comes in no fixed order.
    return {
        "counts": (info["doc_count"], info["doc_del_count"]),
        "last_seq": main["last_seq"],
        "main": sorted(
            (r["id"], sorted(c["rev"] for c in r["changes"]), r.get("deleted", False))
            for r in main["results"]
        ),
        "all_docs_style": sorted(
            (r["id"], sorted(c["rev"] for c in r["changes"])) for r in every["results"]
        ),
        "all_docs": (await db.all_docs(include_docs=True))["rows"],
        "leaves": {
            docid: sorted(e["ok"]["_rev"] for e in found) for docid, found in leaves.items()
        },
    }


async def current_rev(db: Database) -> str:
    return str((await db.get("a"))["_rev"])


def big_doc(docid: str) -> dict[str, Any]:
    return {"_id": docid, "blob": "x" * (MAX_DOCUMENT_SIZE + 1000)}


async def put_over_existing_too_large(db: Database) -> Any:
    return await db.put({**big_doc("a"), "_rev": await current_rev(db)})


CASES: dict[str, tuple[Call, type[CouchError]]] = {
    "reserved id prefix": (lambda db: db.put({"_id": "_secret", "n": 1}), BadRequestError),
    "reserved id prefix with a slash": (lambda db: db.put({"_id": "_stuff/x"}), BadRequestError),
    "body is a list": (lambda db: db.put([1, 2, 3]), BadRequestError),  # type: ignore[arg-type]
    "body is a string": (lambda db: db.put("村议"), BadRequestError),  # type: ignore[arg-type]
    "body is null": (lambda db: db.put(None), BadRequestError),  # type: ignore[arg-type]
    "id is a number": (lambda db: db.put({"_id": 5, "n": 1}), BadRequestError),
    "id is a list": (lambda db: db.put({"_id": ["a"], "n": 1}), BadRequestError),
    "id is empty": (lambda db: db.put({"_id": "", "n": 1}), BadRequestError),
    "malformed rev in body": (
        lambda db: db.put({"_id": "a", "_rev": "bogus", "n": 9}),
        BadRequestError,
    ),
    "rev without generation": (
        lambda db: db.put({"_id": "a", "_rev": "x-abc", "n": 9}),
        BadRequestError,
    ),
    "rev is a number": (lambda db: db.put({"_id": "a", "_rev": 5, "n": 9}), BadRequestError),
    "malformed rev on delete": (lambda db: db.delete("a", "bogus"), BadRequestError),
    "malformed rev on get": (lambda db: db.get("a", rev="bogus"), BadRequestError),
    "unknown special member": (lambda db: db.put({"_id": "new", "_color": "red"}), BadRequestError),
    "new doc over 8 MB": (lambda db: db.put(big_doc("huge")), DocumentTooLargeError),
    "update over 8 MB": (put_over_existing_too_large, DocumentTooLargeError),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_refused_and_unchanged(db: Database, case: str) -> None:
    call, expected = CASES[case]
    await seed(db)
    before = await snapshot(db)
    with pytest.raises(CouchError) as refused:
        await call(db)
    assert type(refused.value) is expected, (
        f"{case}: {type(refused.value).__name__}: {refused.value}"
    )
    after = await snapshot(db)
    assert (await db.changes(since=before.pop("last_seq")))["results"] == []
    after.pop("last_seq")
    assert after == before


async def test_oversized_doc_in_bulk_is_refused_alone(db: Database) -> None:
    await seed(db)
    results = await db.bulk_docs([big_doc("huge"), {"_id": "fine", "n": 1}])
    assert results[0]["error"] == "document_too_large" and results[0]["id"] == "huge"
    assert results[1]["ok"] is True
    assert sorted(row["id"] for row in (await db.all_docs())["rows"]) == ["a", "c", "fine"]
