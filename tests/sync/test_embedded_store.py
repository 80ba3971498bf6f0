"""Embedded-store specifics the shared interface suite does not reach: stemming,
branch winners, attachments storage, indexed find, longpoll wake-ups, several
objects on one file, and the SQLite settings."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sync.embedded import EmbeddedDatabase, open_embedded_database
from sync.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[EmbeddedDatabase]:
    store = await open_embedded_database(str(tmp_path / "store.sqlite"))
    yield store
    await store.close()


def branch(docid: str, *revs: str, deleted: bool = False, **body: object) -> dict[str, object]:
    """A new_edits=false doc whose history is ``revs`` (oldest first)."""
    newest = revs[-1]
    doc: dict[str, object] = {
        "_id": docid,
        "_rev": newest,
        "_revisions": {
            "start": int(newest.split("-")[0]),
            "ids": [r.split("-", 1)[1] for r in reversed(revs)],
        },
        **body,
    }
    if deleted:
        doc["_deleted"] = True
    return doc


async def test_stemming_to_revs_limit_drops_old_revisions(
    db: EmbeddedDatabase, tmp_path: Path
) -> None:
    await db.set_revs_limit(3)
    assert await db.revs_limit() == 3
    rev = (await db.put({"_id": "a", "n": 0}))["rev"]
    first = rev
    for n in range(1, 6):
        rev = (await db.put({"_id": "a", "_rev": rev, "n": n}))["rev"]
    doc = await db.get("a", revs=True, revs_info=True)
    assert doc["_revisions"]["start"] == 6 and len(doc["_revisions"]["ids"]) == 3
    assert [i["status"] for i in doc["_revs_info"]] == ["available"] * 3
    with pytest.raises(NotFoundError):
        await db.get("a", rev=first)
    assert (await db.revs_diff({"a": [first]}))["a"]["missing"] == [first]
    # the bodies of the stemmed revisions are gone from the file too
    with sqlite3.connect(tmp_path / "store.sqlite") as raw:
        assert raw.execute("SELECT count(*) FROM bodies").fetchone()[0] == 3


async def test_replicated_branches_winner_and_deleting_the_winner(db: EmbeddedDatabase) -> None:
    assert await db.bulk_docs([branch("d", "1-a", "2-b", v="b")], new_edits=False) == []
    await db.bulk_docs([branch("d", "1-a", "2-c", "3-d", v="d")], new_edits=False)
    await db.bulk_docs([branch("d", "1-a", "2-z", deleted=True)], new_edits=False)
    doc = await db.get("d", conflicts=True, deleted_conflicts=True)
    assert doc["_rev"] == "3-d" and doc["v"] == "d"
    assert doc["_conflicts"] == ["2-b"] and doc["_deleted_conflicts"] == ["2-z"]
    await db.delete("d", "3-d")
    doc = await db.get("d", conflicts=True, revs=True)
    assert doc["_rev"] == "2-b" and "_conflicts" not in doc  # the other branch wins
    assert doc["_revisions"] == {"start": 2, "ids": ["b", "a"]}
    feed = await db.changes(style="all_docs")
    (row,) = feed["results"]
    leaves = {e["ok"]["_rev"] for e in await db.get("d", open_revs="all")}
    assert row["changes"][0] == {"rev": "2-b"}  # the winner first, then the other leaves
    assert {c["rev"] for c in row["changes"]} == leaves and len(leaves) == 3


async def test_all_branches_deleted_then_write_without_rev_extends_the_winning_tombstone(
    db: EmbeddedDatabase,
) -> None:
    rev = (await db.put({"_id": "t", "v": 1}))["rev"]
    gone = (await db.delete("t", rev))["rev"]
    with pytest.raises(NotFoundError):
        await db.get("t")
    again = await db.put({"_id": "t", "v": 2})
    assert again["rev"].startswith("3-")
    doc = await db.get("t", revs=True)
    assert doc["_revisions"]["ids"][1] == gone.split("-", 1)[1]
    with pytest.raises(ConflictError):
        await db.put({"_id": "t", "v": 3})  # live again: a write needs the rev
    with pytest.raises(NotFoundError):
        await db.delete("missing", "1-abc")


async def test_open_revs_latest_and_missing(db: EmbeddedDatabase) -> None:
    await db.bulk_docs([branch("o", "1-a", "2-b", "3-c", v=3)], new_edits=False)
    await db.bulk_docs([branch("o", "1-a", "2-x", v=2)], new_edits=False)
    found = await db.get("o", open_revs=["1-a", "9-q"], latest=True)
    assert {e["ok"]["_rev"] for e in found if "ok" in e} == {"3-c", "2-x"}
    assert {"missing": "9-q"} in found
    plain = await db.get("o", open_revs=["1-a"])
    assert plain == [{"missing": "1-a"}]  # known ancestor, body never received
    assert len(await db.get("o", open_revs="all")) == 2
    diff = await db.revs_diff({"o": ["4-new", "2-x"]})
    assert diff["o"]["missing"] == ["4-new"]
    assert set(diff["o"]["possible_ancestors"]) == {"3-c", "2-x"}


async def test_attachments_content_addressed_stubs_and_replicated_data(
    db: EmbeddedDatabase, tmp_path: Path
) -> None:
    data = "公开栏照片".encode() * 100
    b64 = base64.b64encode(data).decode()
    one = await db.put(
        {"_id": "p1", "_attachments": {"a.jpg": {"content_type": "image/jpeg", "data": b64}}}
    )
    await db.put(
        {"_id": "p2", "_attachments": {"b.jpg": {"content_type": "image/jpeg", "data": b64}}}
    )
    with sqlite3.connect(tmp_path / "store.sqlite") as raw:
        assert raw.execute("SELECT count(*) FROM attachments").fetchone()[0] == 1
    stub = (await db.get("p1"))["_attachments"]["a.jpg"]
    assert stub["stub"] is True and stub["length"] == len(data) and stub["revpos"] == 1
    assert stub["digest"].startswith("md5-")
    two = await db.put(
        {"_id": "p1", "_rev": one["rev"], "title": "x", "_attachments": {"a.jpg": {"stub": True}}}
    )
    kept = await db.get("p1", attachments=True)
    assert (
        kept["_attachments"]["a.jpg"]["data"] == b64
        and kept["_attachments"]["a.jpg"]["revpos"] == 1
    )
    assert await db.get_attachment("p1", "a.jpg") == (data, "image/jpeg")
    with pytest.raises(PreconditionFailedError):
        await db.put({"_id": "p1", "_rev": two["rev"], "_attachments": {"nope": {"stub": True}}})
    # as the replicator sends it: new_edits=false with the data inline and the sender's revpos
    await db.bulk_docs(
        [
            branch(
                "r",
                "1-a",
                "2-b",
                _attachments={"f.txt": {"content_type": "text/plain", "data": "aGk=", "revpos": 1}},
            )
        ],
        new_edits=False,
    )
    got = await db.get("r")
    assert got["_attachments"]["f.txt"]["revpos"] == 1
    assert await db.get_attachment("r", "f.txt") == (b"hi", "text/plain")
    with pytest.raises(NotFoundError):
        await db.get_attachment("r", "other.txt")
    put = await db.put_attachment("r", "g.txt", b"more", "text/plain", rev="2-b")
    assert sorted((await db.get("r", rev=put["rev"]))["_attachments"]) == ["f.txt", "g.txt"]


async def test_find_uses_the_field_indexes_and_matches_exactly(db: EmbeddedDatabase) -> None:
    docs: list[dict[str, Any]] = [
        {
            "_id": f"m{i:03d}",
            "type": "matter" if i % 3 else "vote",
            "village": f"V{i % 4}",
            "stage": ["提议", "审议"][i % 2],
            "created_at": f"2026-01-{1 + i % 28:02d}",
            "n": i,
        }
        for i in range(60)
    ]
    docs.append({"_id": "odd", "type": "matter", "village": ["V1"], "stage": None})
    await db.bulk_docs(docs)
    for selector in (
        {"type": "matter", "village": "V1"},
        {"stage": {"$in": ["审议"]}},
        {"created_at": {"$gte": "2026-01-10"}},
        {"created_at": {"$lt": "2026-01-05"}},
        {"matter": "M1"},
    ):
        plan = " ".join(await db.explain_find(selector))
        assert "USING INDEX docs_" in plan, (selector, plan)
    found = await db.find(
        {"type": "matter", "village": "V1"}, sort=[{"n": "desc"}], limit=3, fields=["_id", "n"]
    )
    assert found["docs"] == [
        {"_id": "m053", "n": 53},
        {"_id": "m049", "n": 49},
        {"_id": "m041", "n": 41},
    ]
    by_in = await db.find({"village": {"$in": ["V1"]}})  # the array-valued field matches by element
    assert "odd" in [d["_id"] for d in by_in["docs"]]
    below = await db.find({"stage": {"$lt": "审议"}})  # null sorts below strings
    assert [d["_id"] for d in below["docs"]] == ["odd"]
    everything = await db.find({"n": {"$gte": 0}}, skip=55)
    assert [d["_id"] for d in everything["docs"]] == [f"m{i:03d}" for i in range(55, 60)]
    with pytest.raises(BadRequestError):
        await db.find({"n": {"$bogus": 1}})


async def test_changes_filters_and_local_docs_stay_out(db: EmbeddedDatabase) -> None:
    await db.bulk_docs([{"_id": f"c{i}", "type": "matter" if i % 2 else "vote"} for i in range(6)])
    await db.put_local({"_id": "checkpoint", "seq": 1})
    feed = await db.changes()
    assert [r["id"] for r in feed["results"]] == [f"c{i}" for i in range(6)]
    assert feed["last_seq"] == 6
    page = await db.changes(limit=2, since=str(feed["results"][1]["seq"]))
    assert [r["id"] for r in page["results"]] == ["c2", "c3"] and page["last_seq"] == page[
        "results"
    ][-1]["seq"]
    picked = await db.changes(selector={"type": "matter"}, include_docs=True)
    assert [r["doc"]["_id"] for r in picked["results"]] == ["c1", "c3", "c5"]
    assert [r["id"] for r in (await db.changes(doc_ids=["c4", "zz"]))["results"]] == ["c4"]
    local = await db.get_local("checkpoint")
    assert local["_rev"] == "0-1"
    with pytest.raises(ConflictError):
        await db.put_local({"_id": "checkpoint", "seq": 2})
    assert (await db.put_local({**local, "seq": 2}))["rev"] == "0-2"
    assert (await db.info())["doc_count"] == 6
    assert (await db.changes(since="now"))["results"] == []


async def test_longpoll_wakes_on_a_write_from_another_object(tmp_path: Path) -> None:
    path = str(tmp_path / "lp.sqlite")
    reader = await open_embedded_database(path)
    writer = await open_embedded_database(path)
    try:
        empty = await reader.changes(feed="longpoll", timeout=0.05)
        assert empty["results"] == []
        waiting = asyncio.create_task(reader.changes(feed="longpoll", since="now", timeout=30))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await writer.put({"_id": "news"})
        woke = await asyncio.wait_for(waiting, timeout=30)
        assert [r["id"] for r in woke["results"]] == ["news"]
    finally:
        await reader.close()
        await writer.close()


async def test_two_objects_on_one_file_lose_no_update(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    a = await open_embedded_database(path)
    b = await open_embedded_database(path)
    try:
        await a.put({"_id": "counter", "n": 0})

        async def bump(db: EmbeddedDatabase, times: int) -> int:
            done = 0
            while done < times:
                doc = await db.get("counter")
                try:
                    await db.put({**doc, "n": doc["n"] + 1})
                    done += 1
                except ConflictError:
                    pass
            return done

        await asyncio.gather(
            bump(a, 25),
            bump(b, 25),
            a.bulk_docs([{"_id": f"a{i}"} for i in range(200)]),
            b.bulk_docs([{"_id": f"b{i}"} for i in range(200)]),
        )
        assert (await a.get("counter"))["n"] == 50
        assert (await b.info())["doc_count"] == 401
        seqs = [r["seq"] for r in (await b.changes())["results"]]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    finally:
        await a.close()
        await b.close()


@pytest.mark.parametrize("threading", ["hybrid", "thread", "inline"])
async def test_every_threading_mode_reads_its_own_writes(tmp_path: Path, threading: str) -> None:
    db = await open_embedded_database(str(tmp_path / f"{threading}.sqlite"), threading=threading)  # type: ignore[arg-type]
    try:
        rev = (await db.put({"_id": "x", "v": 1}))["rev"]
        assert (await db.get("x"))["_rev"] == rev
        assert (await db.revs_diff({"x": [rev]})) == {}
    finally:
        await db.close()


async def test_file_settings_and_integrity(db: EmbeddedDatabase, tmp_path: Path) -> None:
    await db.put({"_id": "a"})
    assert await db.integrity_check() == "ok"
    with sqlite3.connect(tmp_path / "store.sqlite") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    info = await db.info()
    assert info["db_name"] == "store" and info["update_seq"] == 1 and info["doc_del_count"] == 0
    with pytest.raises(NotFoundError):
        await open_embedded_database(str(tmp_path / "absent.sqlite"), create=False)
    with pytest.raises(BadRequestError):
        await db.set_revs_limit(0)


async def test_bulk_docs_edge_cases(db: EmbeddedDatabase, tmp_path: Path) -> None:
    # the same new id twice in one batch: the second is a conflict, as in CouchDB
    results = await db.bulk_docs([{"_id": "dup", "v": 1}, {"_id": "dup", "v": 2}])
    assert results[0]["ok"] and results[1]["error"] == "conflict"
    assert (await db.get("dup"))["v"] == 1
    # revision ids are deterministic: the same first write gives the same rev elsewhere
    other = await open_embedded_database(str(tmp_path / "other.sqlite"))
    try:
        assert (await other.put({"_id": "dup", "v": 1}))["rev"] == results[0]["rev"]
    finally:
        await other.close()

    # a refused batch changes nothing, not even the attachment store
    async def state() -> tuple[int, int, int]:
        info = await db.info()
        return info["doc_count"], info["doc_del_count"], info["update_seq"]

    before = await state()
    with pytest.raises(PreconditionFailedError):
        await db.bulk_docs(
            [
                {
                    "_id": "fine",
                    "_attachments": {"a": {"content_type": "text/plain", "data": "eA=="}},
                },
                {"_id": "bad", "_attachments": {"b": {"stub": True}}},
            ]
        )
    assert await state() == before
    with sqlite3.connect(tmp_path / "store.sqlite") as raw:
        assert raw.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0
    with pytest.raises(BadRequestError):
        await db.bulk_docs([{"_id": "ok"}, {"_id": "_bad"}])
    assert await state() == before


async def test_a_new_database_file_is_private_to_its_owner(tmp_path: Path) -> None:
    # The records name real people: no other account on the laptop may read them.
    path = tmp_path / "village.sqlite"
    db = await open_embedded_database(str(path))
    try:
        await db.put({"_id": "a", "name": "林国强"})
        for file in (path, Path(f"{path}-wal")):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    finally:
        await db.close()
