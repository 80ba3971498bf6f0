"""The in-process search index: built once, caught up from the changes feed, only readable
records, newest first even when an older record arrives late by replication."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import sync
from village_app import repo
from village_app.domain import Matter
from village_app.repo.search_index import _entry, hit, normalize_query

V = "990101001010"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[sync.Database]:
    database = await sync.open_database(str(tmp_path / f"{V}.sqlite"))
    yield database
    await database.close()


def _store(db: sync.Database) -> repo.VillageStore:
    return repo.VillageStore(db, V, repo.Actor("secretary"))


async def _titles(store: repo.VillageStore, query: str) -> list[str]:
    results = await store.search(query)
    return [h.entry.title for g in results.groups if g.kind == "matter" for h in g.hits]


async def test_follows_writes_replication_and_deletions(db: sync.Database) -> None:
    store = _store(db)
    first = await store.create_matter(
        Matter(kind="major", title="太阳能路灯一期", body="", year=2026)
    )
    assert await _titles(store, "太阳能") == ["太阳能路灯一期"]
    index = store.caches.search
    second = await store.create_matter(
        Matter(kind="major", title="太阳能路灯二期", body="", year=2026)
    )
    assert await _titles(store, "太阳能") == ["太阳能路灯二期", "太阳能路灯一期"]
    assert store.caches.search is index  # caught up, not rebuilt
    # An older record replicated in late still sorts by when it was made.
    old = {
        "_id": f"matter:{V}:01AAAAAAAAAAAAAAAAAAAAAAAA",
        "_rev": "1-" + "a" * 32,
        "type": "matter",
        "village": V,
        "kind": "major",
        "title": "太阳能路灯试点",
        "body": "",
        "year": 2020,
        "created_at": "2020-01-01T00:00:00Z",
        "created_by": "other",
    }
    await db.bulk_docs([old], new_edits=False)
    assert await _titles(store, "太阳能") == ["太阳能路灯二期", "太阳能路灯一期", "太阳能路灯试点"]
    # A revision that fails its schema leaves the index; a deleted one too.
    doc = await db.get(second.id)
    await db.put({**doc, "title": 42})
    doc = await db.get(first.id)
    await db.put({**doc, "_deleted": True})
    assert await _titles(store, "太阳能") == ["太阳能路灯试点"]
    # Another village's records are never searched.
    other = {
        **old,
        "_id": "matter:990101001011:01BBBBBBBBBBBBBBBBBBBBBBBB",
        "village": "990101001011",
    }
    await db.bulk_docs([other], new_edits=False)
    assert await _titles(store, "太阳能") == ["太阳能路灯试点"]


def test_queries_are_normalized_and_cut_around_the_match() -> None:
    assert normalize_query("  太阳能\t 路灯\n") == "太阳能 路灯"
    assert normalize_query("字" * 80) == "字" * 50
    long = "前" * 40 + "Solar 路灯" + "后" * 80
    found = hit(
        _entry("matter", "m", "", [("title", "标题"), ("summary", long)], title="标题"), "solar"
    )
    assert found.field == "summary" and found.match == "Solar"
    assert (
        found.before == "…" + "前" * 24
        and found.after.startswith(" 路灯")
        and found.after.endswith("…")
    )
