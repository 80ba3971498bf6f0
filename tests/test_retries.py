"""Writes that meet a concurrent write: retried with a fresh read, and given up loudly.

Each case runs over a database whose next writes are raced: just before the write reaches
the store, another writer changes the same document, so the store itself answers with a
real conflict (nothing is faked about the answer)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from domain.helpers import tiny_png

import sync
from sync.database import Database
from village_app import repo
from village_app.domain import SHANGHAI, Attendance, Matter, RetriesExhausted, StageRecord, Village
from village_app.web.security.sessions import SessionRevocations

V = "990101001007"


class RacedDatabase:
    """A database whose next ``races`` writes each lose to another writer of the same doc."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.races = 0
        self.raced = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    async def _race(self, docid: str) -> None:
        if self.races <= 0:
            return
        self.races -= 1
        self.raced += 1
        if docid.startswith("_local/"):
            current = await self._db.get_local(docid)
            await self._db.put_local({**current, "raced": self.raced})
        else:
            current = await self._db.get(docid)
            await self._db.put({**current, "raced": self.raced})

    async def put(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        if doc.get("_rev"):
            await self._race(doc["_id"])
        return await self._db.put(doc)

    async def bulk_docs(
        self, docs: Sequence[Mapping[str, Any]], *, new_edits: bool = True
    ) -> list[dict[str, Any]]:
        if docs and docs[0].get("_rev"):
            await self._race(docs[0]["_id"])
        return await self._db.bulk_docs(docs, new_edits=new_edits)

    async def put_attachment(
        self, docid: str, name: str, data: bytes, content_type: str, *, rev: str
    ) -> dict[str, Any]:
        await self._race(docid)
        return await self._db.put_attachment(docid, name, data, content_type, rev=rev)

    async def put_local(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        if doc.get("_rev"):
            await self._race(doc["_id"])
        return await self._db.put_local(doc)


@pytest.fixture
async def raced(tmp_path: Path) -> AsyncIterator[RacedDatabase]:
    db = await sync.open_database(str(tmp_path / f"{V}.sqlite"))
    await repo.VillageStore(db, V).save_village(Village(V, "测试村", "东溪镇", "青禾县"))
    yield RacedDatabase(db)
    await db.close()


def _store(db: RacedDatabase) -> repo.VillageStore:
    return repo.VillageStore(db, V, repo.Actor("secretary"))  # type: ignore[arg-type]


async def _matter_with_record(store: repo.VillageStore) -> tuple[Matter, StageRecord]:
    matter = await store.create_matter(Matter(kind="major", title="村道硬化", body="", year=2026))
    record = await store.append_stage_record(
        matter.id,
        StageRecord(
            matter.id,
            "proposal",
            held_at=datetime(2026, 3, 2, 19, 30, tzinfo=SHANGHAI),
            attendance=Attendance(5, 5),
            content="提议",
        ),
    )
    return matter, record


@pytest.mark.parametrize("races", [1, 2])
async def test_record_flags_follow_the_matter_through_a_race(
    raced: RacedDatabase, races: int
) -> None:
    store = _store(raced)
    matter, record = await _matter_with_record(store)
    raced.races = races
    await store.sync_record_flags(replace(matter, commendation=True))
    assert raced.raced == races
    assert (await raced.get(record.id))["commendation"] is True


async def test_record_flags_give_up_loudly(raced: RacedDatabase) -> None:
    store = _store(raced)
    matter, record = await _matter_with_record(store)
    raced.races = 99
    with pytest.raises(RetriesExhausted) as caught:
        await store.sync_record_flags(replace(matter, commendation=True))
    assert matter.id in caught.value.ids
    assert (await raced.get(record.id)).get("commendation") is not True


async def test_a_refused_flag_write_is_not_passed_over(raced: RacedDatabase) -> None:
    """A per-document refusal other than a conflict is raised, not ignored."""
    store = _store(raced)
    matter, _ = await _matter_with_record(store)
    original = raced.bulk_docs

    async def refusing(docs: Sequence[Mapping[str, Any]], **kw: Any) -> list[dict[str, Any]]:
        return [
            {"id": d["_id"], "error": "forbidden", "reason": "evidence is read-only"} for d in docs
        ]

    raced.bulk_docs = refusing  # type: ignore[method-assign]
    with pytest.raises(sync.errors.ForbiddenError):
        await store.sync_record_flags(replace(matter, commendation=True))
    raced.bulk_docs = original  # type: ignore[method-assign]


async def test_the_stage_follows_the_records_through_a_race(raced: RacedDatabase) -> None:
    store = _store(raced)
    matter = await store.create_matter(Matter(kind="major", title="村道硬化", body="", year=2026))
    raced.races = 1
    await store.append_stage_record(
        matter.id,
        StageRecord(
            matter.id,
            "proposal",
            held_at=datetime(2026, 3, 2, 19, 30, tzinfo=SHANGHAI),
            attendance=Attendance(5, 5),
            content="提议",
        ),
    )
    assert raced.raced == 1
    assert (await store.get_matter(matter.id)).stage == "consultation"
    other = await store.create_matter(Matter(kind="major", title="路灯安装", body="", year=2026))
    raced.races = 99
    with pytest.raises(RetriesExhausted) as caught:
        await store.append_stage_record(
            other.id,
            StageRecord(
                other.id,
                "proposal",
                held_at=datetime(2026, 3, 3, 19, 30, tzinfo=SHANGHAI),
                attendance=Attendance(5, 5),
                content="提议",
            ),
        )
    assert other.id in caught.value.ids


async def test_an_attachment_is_added_through_a_race_or_refused_loudly(
    raced: RacedDatabase,
) -> None:
    store = _store(raced)
    _, record = await _matter_with_record(store)
    raced.races = 2
    added = await store.add_attachment(record.id, "签到表.png", tiny_png())
    assert raced.raced == 2 and added.name == "签到表.png"
    raced.races = 99
    with pytest.raises(RetriesExhausted):
        await store.add_attachment(record.id, "第二页.png", tiny_png())
    assert "第二页.png" not in (await raced.get(record.id)).get("_attachments", {})


async def test_an_ended_session_is_kept_through_a_race_or_refused_loudly(
    raced: RacedDatabase,
) -> None:
    revocations = SessionRevocations(3600)
    await revocations.end("first", raced)  # type: ignore[arg-type]
    raced.races = 2
    await revocations.end("second", raced)  # type: ignore[arg-type]
    assert raced.raced == 2
    restarted = SessionRevocations(3600)
    await restarted.load(raced)  # type: ignore[arg-type]
    assert restarted.is_ended("first") and restarted.is_ended("second")
    raced.races = 99
    with pytest.raises(RetriesExhausted):
        await revocations.end("third", raced)  # type: ignore[arg-type]
