"""How the embedded store encodes bodies: orjson's bytes, or the standard library's text
for what orjson refuses; both read back exactly, and the rev id depends only on the JSON."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sync import mango
from sync.embedded import EmbeddedDatabase, open_embedded_database
from sync.embedded._docs import dumps, encode, loads


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[EmbeddedDatabase]:
    database = await open_embedded_database(str(tmp_path / "enc.sqlite"))
    yield database
    await database.close()


def _stdlib(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "value",
    [
        {"title": "村道路灯", "n": 3, "x": 0.1, "big": 2**63, "neg": -(2**63), "e": 1e16},
        {"nested": {"a": [1, None, True, False, 'é\n"\\'], "b": {}}, "empty": []},
        {"k": "\u2028\u2029\x00"},
    ],
)
def test_orjson_writes_what_the_standard_library_writes(value: dict[str, object]) -> None:
    raw = encode(value)
    assert isinstance(raw, bytes)
    assert raw.decode() == _stdlib(value) == dumps(value)
    assert loads(raw) == value


@pytest.mark.parametrize("value", [{"big": 2**70}, {"s": "\ud800"}, {"neg": -(2**64)}])
def test_what_orjson_refuses_goes_to_the_standard_library(value: dict[str, object]) -> None:
    raw = encode(value)
    assert raw == _stdlib(value)  # text, so loads() reads it with json: exact big ints
    assert loads(raw) == value


async def test_both_forms_round_trip_through_the_store(db: EmbeddedDatabase) -> None:
    docs = [
        {"_id": "fast", "n": 2**63 - 1, "t": "公开"},
        {"_id": "big", "n": 2**80, "t": "公开"},
    ]
    results = await db.bulk_docs(docs)
    for doc, result in zip(docs, results, strict=True):
        got = await db.get(str(doc["_id"]))
        assert got == {**doc, "_rev": result["rev"]}
        # The rev id hashes the stored JSON text; either form gives the same digest.
        text = _stdlib({k: v for k, v in doc.items() if k != "_id"})
        data = f"{doc['_id']}\0\0{0}\0{text}".encode()
        assert result["rev"] == "1-" + hashlib.md5(data).hexdigest()
    feed = await db.changes(include_docs=True)
    assert {r["doc"]["_id"]: r["doc"].get("n") for r in feed["results"]} == {
        "fast": 2**63 - 1,
        "big": 2**80,
    }
    raw = sqlite3.connect(db.location)
    try:
        kinds = dict(
            raw.execute("SELECT d.id, typeof(b.body) FROM docs d JOIN bodies b ON b.id = d.body_id")
        )
    finally:
        raw.close()
    assert kinds == {"fast": "blob", "big": "text"}


async def test_find_prefilter_keeps_null_and_booleans_and_skips_missing_fields(
    db: EmbeddedDatabase,
) -> None:
    # The field columns store null/booleans (and non-finite floats, written as null) as
    # -infinity and a missing field as NULL, outside the partial indexes: every selector
    # must still find exactly what Mango's matcher finds over all documents.
    values: list[object] = [None, True, False, 0, -5, 2.5, "", "审议", "提议", [1], {"a": 1}]
    docs: list[dict[str, object]] = [{"_id": "none", "type": "member"}]
    docs += [{"_id": f"d{i}", "type": "matter", "stage": v} for i, v in enumerate(values)]
    docs.append({"_id": "inf", "type": "matter", "stage": float("inf")})
    await db.bulk_docs(docs)
    rows = (await db.all_docs(include_docs=True))["rows"]
    stored = {row["id"]: row["doc"] for row in rows}
    assert stored["inf"]["stage"] is None

    args: list[object] = [-5, 0, 3, "", "审议", -1e308]
    selectors: list[dict[str, object]] = [{"stage": {"$exists": False}}]
    for op in ("$eq", "$gt", "$gte", "$lt", "$lte"):
        selectors += [{"stage": {op: a}} for a in args]
    selectors += [{"stage": {"$in": ["审议", 0]}}, {"stage": {"$lt": float("-inf")}}]
    for selector in selectors:
        found = sorted(d["_id"] for d in (await db.find(selector))["docs"])
        expected = sorted(i for i, d in stored.items() if mango.matches(selector, d))
        assert found == expected, selector
