"""What is copied from the evidence (a matter's stage, its records' publicity flags) cannot stay
wrong: two laptops that each changed one side, or a process killed between the two writes,
are repaired after the pull and at start-up, so the kiosk's filter never shows a private
record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import sync
from sync.errors import NotFoundError
from village_app import repo
from village_app.commands.replicate import repair_after_pull
from village_app.domain import (
    SHANGHAI,
    Attendance,
    Matter,
    Publication,
    StageRecord,
    Village,
    Vote,
)
from village_app.domain.publicity import is_shown, twin_id
from village_app.web import Settings, create_app

V = "990101001006"
T0 = datetime(2026, 3, 2, 19, 30, tzinfo=SHANGHAI)


def _store(db: sync.Database, who: str = "secretary") -> repo.VillageStore:
    return repo.VillageStore(db, V, repo.Actor(who))


async def _commendation(store: repo.VillageStore) -> tuple[Matter, StageRecord]:
    """A moral review matter published on the 红榜, through its publication."""
    await store.save_village(Village(V, "测试村", "东溪镇", "青禾县"))
    matter = await store.create_matter(
        Matter(
            kind="council",
            title="好媳妇评选",
            body="moral_review_council",
            year=2026,
            commendation=True,
        )
    )
    steps = [
        StageRecord(matter.id, "council_proposal", held_at=T0, content="提名张某"),
        StageRecord(
            matter.id,
            "deliberation",
            held_at=T0 + timedelta(days=2),
            attendance=Attendance(9, 8),
            content="纪要",
        ),
        StageRecord(
            matter.id,
            "council_vote",
            held_at=T0 + timedelta(days=4),
            attendance=Attendance(9, 8),
            vote=Vote(7, 1, 0),
        ),
        StageRecord(
            matter.id,
            "council_resolution",
            held_at=T0 + timedelta(days=5),
            content="评张某为好媳妇",
        ),
        StageRecord(
            matter.id,
            "council_publication",
            content="红榜",
            publication=Publication("红榜", "村务公开栏", T0 + timedelta(days=6)),
        ),
    ]
    record = None
    for step in steps:
        record = await store.append_stage_record(matter.id, step)
    assert record is not None
    return await store.get_matter(matter.id), record


async def _public_records(db: sync.Database, matter_id: str) -> list[str]:
    """What the kiosk would show of the matter: its public twin, when shown (see
    :mod:`village_app.repo.public`; the records themselves never leave the village)."""
    try:
        twin = await db.get(twin_id(matter_id))
    except NotFoundError:
        return []
    return [twin["_id"]] if is_shown(twin, V) else []


async def _sync(source: str, target: str) -> None:
    await sync.replicate(source, target)


async def test_two_laptops_cannot_leave_a_private_record_on_the_kiosk(
    tmp_path: Path, couch_db_url: str
) -> None:
    a_path, b_path = str(tmp_path / "a" / f"{V}.sqlite"), str(tmp_path / "b" / f"{V}.sqlite")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = await sync.open_database(a_path)
    matter, publication = await _commendation(_store(a, "a"))
    await a.close()
    await _sync(a_path, couch_db_url)
    await _sync(couch_db_url, b_path)

    # Laptop A corrects the 红榜's publication record; laptop B takes the matter off the 红榜.
    a = await sync.open_database(a_path)
    corrected = await _store(a, "a").correct_record(
        publication.id,
        StageRecord(
            matter.id,
            "council_publication",
            content="红榜（更正）",
            publication=Publication("红榜", "村务公开栏", T0 + timedelta(days=7)),
        ),
        "日期写错",
    )
    await a.close()
    b = await sync.open_database(b_path)
    store_b = _store(b, "b")
    await store_b.update_matter(
        Matter(**{**(await store_b.get_matter(matter.id)).__dict__, "commendation": False})
    )
    assert await _public_records(b, matter.id) == []
    await b.close()

    await _sync(a_path, couch_db_url)
    await _sync(couch_db_url, b_path)
    b = await sync.open_database(b_path)
    try:
        # A's correction wrote a new revision of the matter (its public twin changed), so the
        # matter is now in conflict: whichever version wins, the twin that wins is the one made
        # from it, so the kiosk shows the 红榜 only if the winning version is a commendation.
        winner = await _store(b).get_matter(matter.id)
        assert winner.conflicts
        shown = await _public_records(b, matter.id)
        assert bool(shown) is winner.commendation
    finally:
        await b.close()
    await repair_after_pull(b_path)  # what `village-app replicate` runs after a pull
    b = await sync.open_database(b_path)
    try:
        # The two versions disagree about publicity: withdrawn until the secretary chooses.
        assert await _public_records(b, matter.id) == []
        store_b = _store(b, "b")
        chosen = {**(await b.get(matter.id)), "commendation": False}
        await store_b.resolve_matter_conflict(matter.id, chosen)
        assert await _public_records(b, matter.id) == []
        assert (await b.get(corrected.id))["commendation"] is False
    finally:
        await b.close()


_KILLED_BETWEEN = textwrap.dedent("""
    import asyncio, os, signal, sys
    from dataclasses import replace
    import sync
    from village_app import repo
    from village_app.domain import StageRecord, Attendance
    from datetime import datetime, timedelta, timezone

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    async def main(path, village, matter_id, what):
        db = await sync.open_database(path)
        store = repo.VillageStore(db, village, repo.Actor("secretary"))
        if what == "flags":
            repo.VillageStore.sync_record_flags = die
            matter = await store.get_matter(matter_id)
            await store.update_matter(replace(matter, commendation=False))
        else:
            repo.VillageStore._refresh_stage = die
            record = StageRecord(matter_id, "proposal", held_at=datetime(2026, 3, 2, 11, tzinfo=timezone.utc),
                                 attendance=Attendance(5, 5), content="提议")
            await store.append_stage_record(matter_id, record)

    asyncio.run(main(*sys.argv[1:]))
""")


@pytest.mark.parametrize("what", ["flags", "stage"])
def test_a_process_killed_between_two_writes_is_repaired_at_start_up(
    tmp_path: Path, what: str
) -> None:
    import asyncio

    data = tmp_path / "data"
    data.mkdir()
    path = str(data / f"{V}.sqlite")

    async def before() -> str:
        db = await sync.open_database(path)
        try:
            if what == "flags":
                matter, _ = await _commendation(_store(db))
            else:
                await _store(db).save_village(Village(V, "测试村", "东溪镇", "青禾县"))
                matter = await _store(db).create_matter(
                    Matter(kind="major", title="村道硬化", body="", year=2026)
                )
            return matter.id
        finally:
            await db.close()

    matter_id = asyncio.run(before())
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_BETWEEN, path, V, matter_id, what], env=os.environ.copy()
    )
    assert done.returncode == -signal.SIGKILL

    async def state() -> tuple[Any, list[str]]:
        db = await sync.open_database(path)
        try:
            return (await db.get(matter_id))["stage"], await _public_records(db, matter_id)
        finally:
            await db.close()

    stage, public = asyncio.run(state())
    if what == "flags":
        assert public == []  # its public twin was withdrawn with the matter, before the kill
    else:
        assert stage == "proposal"  # the proposal is stored, the matter still waits for one
    with TestClient(create_app(Settings(data_dir=data))):
        pass  # start-up repairs
    stage, public = asyncio.run(state())
    assert public == []
    assert stage == ("completed" if what == "flags" else "consultation")
