"""Reading the county index file, with rows written as the indexer writes them (no server)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.embedded.tables import SchemaVersionError, TableFile
from village_app.county import tables
from village_app.county.index import CountyIndex, bucket_keys, bucket_label
from village_app.county.summary import MatterSummary, OpenThread, VillageSummary, as_stamp
from village_app.domain.dates import parse_stamp, utc_stamp
from village_app.domain.timeliness import (
    publication_deadline,
    publication_timeliness,
)
from village_app.repo.quarantine import Unreadable

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def matter(n: int, **fields: object) -> MatterSummary:
    values: dict[str, object] = {
        "id": f"matter:990101004001:{n:026d}",
        "title": f"事项{n}",
        "body": "party_branch",
        "kind": "major",
        "procedure": "major",
        "stage": "proposal",
        "created_at": utc_stamp(at(100 - n)),
        "latest_evidence_at": None,
        "resolution_at": None,
        "publication_required": True,
        "publication_due_at": None,
        "published_at": None,
        "evidence_at": None,
        "last_review_at": None,
        "last_review_decision": None,
        "review_pending": False,
    }
    values.update(fields)
    return MatterSummary(**values)  # type: ignore[arg-type]


def village(code: str, matters: list[MatterSummary], **fields: object) -> VillageSummary:
    values: dict[str, object] = {
        "code": code,
        "doc_count": 10 * len(matters),
        "last_record_at": None,
        "village_digest": code,
        "matters": tuple(matters),
        "open_threads": (),
        "unreadable": (),
        "reviews": 0,
        "stage_counts": {"proposal": len(matters)},
    }
    values.update(fields)
    return VillageSummary(**values)  # type: ignore[arg-type]


async def save(folder: Path, *summaries: VillageSummary, now: datetime = NOW) -> None:
    file = await tables.open_tables(folder)
    try:
        for s in summaries:
            await tables.save_village(
                file,
                s,
                db_name=f"village_{s.code}",
                update_seq="1-x",
                instance="i",
                now=utc_stamp(now),
            )
    finally:
        await file.close()


async def test_timeliness_in_the_index_is_the_domains(tmp_path: Path) -> None:
    """Every combination of kind, resolution, publication and deadline: the index's SQL
    judges as :func:`publication_timeliness` does."""
    cases = []
    resolutions = [None, at(400), at(60), at(8), at(6.9), at(1)]
    publications = [None, "before", "on_deadline", "after"]
    for n, (major, required, resolved, published) in enumerate(
        itertools.product((True, False), (True, False), resolutions, publications)
    ):
        due = (
            publication_deadline(major=major, resolved_at=resolved)
            if resolved is not None and required
            else None
        )
        when = None
        if resolved is not None and published is not None:
            deadline = due or publication_deadline(major=major, resolved_at=resolved)
            when = {
                "before": resolved + timedelta(hours=1),
                "on_deadline": deadline,
                "after": deadline + timedelta(seconds=1),
            }[published]
            if when > NOW:
                when = None  # not published yet, as of now
        expected = publication_timeliness(
            major=major, resolved_at=resolved, published_at=when, now=NOW, required=required
        )
        row = matter(
            n,
            kind="major" if major else "council",
            publication_required=required,
            resolution_at=as_stamp(resolved),
            publication_due_at=as_stamp(due),
            published_at=as_stamp(when),
        )
        cases.append((row, expected))
    await save(tmp_path, village("990101004001", [row for row, _ in cases]))

    async with await CountyIndex.open(tmp_path) as index:
        found = {m.id: m.timeliness for m in await index.matters("990101004001", now=NOW)}
        summary = await index.village("990101004001", now=NOW)
    assert {row.id: expected for row, expected in cases} == found
    overdue = sum(1 for _, expected in cases if expected.value == "overdue")
    assert overdue > 0 and summary is not None and summary.overdue == overdue


async def test_queue_is_oldest_evidence_first_and_only_for_the_villages_asked(
    tmp_path: Path,
) -> None:
    a = [
        matter(1, review_pending=True, evidence_at=utc_stamp(at(3))),
        matter(2, review_pending=False, evidence_at=utc_stamp(at(50))),
        matter(3, review_pending=True, evidence_at=utc_stamp(at(30))),
    ]
    b = [matter(4, review_pending=True, evidence_at=utc_stamp(at(10)))]
    c = [matter(5, review_pending=True, evidence_at=utc_stamp(at(90)))]
    await save(
        tmp_path,
        village("990101004001", a),
        village("990101004002", b),
        village("990101004003", c),
    )
    async with await CountyIndex.open(tmp_path) as index:
        queue = await index.review_queue(["990101004001", "990101004002"], now=NOW)
        page = await index.review_queue(
            ["990101004001", "990101004002"], limit=1, offset=1, now=NOW
        )
        nobody = await index.review_queue([], now=NOW)
    assert [q.id for q in queue] == [a[2].id, b[0].id, a[0].id]
    assert [q.id for q in page] == [b[0].id]
    assert nobody == []


async def test_figures_bucket_threads_by_age_and_villages_by_sync(tmp_path: Path) -> None:
    threads = tuple(
        OpenThread(f"supervision:990101004001:{n}", None, "open", utc_stamp(at(days)))
        for n, days in enumerate((1, 29, 31, 100, 200, 400))
    )
    await save(tmp_path, village("990101004001", [matter(1)], open_threads=threads))
    await save(tmp_path, village("990101004002", [matter(2)]), now=at(45))
    async with await CountyIndex.open(tmp_path) as index:
        figures = await index.figures(now=NOW)
        one = await index.figures(["990101004002"], now=NOW)
        rows = await index.villages(now=NOW)
    assert figures["990101004001"].threads_by_age == {"≤30": 2, "≤90": 1, "≤180": 1, ">180": 2}
    assert figures["990101004001"].sync_recency == "≤1"
    assert figures["990101004002"].sync_recency == ">30"
    assert list(one) == ["990101004002"]
    assert [r.open_supervision for r in rows] == [6, 0]
    assert bucket_keys((30, 90, 180)) == ["≤30", "≤90", "≤180", ">180"]
    assert bucket_label((1, 7, 30), None) == "never"


async def test_a_village_saved_again_replaces_its_rows_whole(tmp_path: Path) -> None:
    unreadable = (Unreadable("matter:990101004001:x", "1-a", "matter", "title: expected text"),)
    await save(tmp_path, village("990101004001", [matter(1), matter(2)], unreadable=unreadable))
    await save(tmp_path, village("990101004001", [matter(3)]))
    async with await CountyIndex.open(tmp_path) as index:
        assert [m.id for m in await index.matters("990101004001")] == [matter(3).id]
        assert await index.unreadable("990101004001") == []
        row = await index.village("990101004001")
    assert row is not None and row.matter_count == 1


async def test_an_index_of_another_version_is_set_aside_and_started_again(
    tmp_path: Path,
) -> None:
    old = await TableFile.open(str(tmp_path / "index.sqlite"), "CREATE TABLE x (y)", version=99)
    await old.close()
    with pytest.raises(SchemaVersionError):
        await tables.open_tables(tmp_path, rebuild=False)
    async with await CountyIndex.open(tmp_path) as index:
        assert await index.villages() == []
    assert (tmp_path / "index.sqlite.old").exists()
    await save(tmp_path, village("990101004001", [matter(1)]))
    async with await CountyIndex.open(tmp_path) as index:
        assert [v.code for v in await index.villages()] == ["990101004001"]


async def test_a_new_index_opened_by_several_at_once_opens_for_each(tmp_path: Path) -> None:
    """The county pages open the index while the indexer is still making the file (CI
    failed on it: "database is locked" from making the new file WAL, which SQLite answers
    at once instead of waiting out the busy timeout)."""
    for n in range(40):
        folder = tmp_path / str(n)
        folder.mkdir()
        opened = await asyncio.gather(*(tables.open_tables(folder) for _ in range(4)))
        try:
            for each in opened:
                assert await each.read(lambda db: db.one("PRAGMA journal_mode")) == {
                    "journal_mode": "wal"
                }
        finally:
            for each in opened:
                await each.close()


def test_stamps_are_utc_and_anything_else_is_none() -> None:
    assert as_stamp("2026-11-25T19:30:00+08:00") == "2026-11-25T11:30:00.000Z"
    assert as_stamp(parse_stamp("2026-11-25T11:30:00Z")) == "2026-11-25T11:30:00.000Z"
    for bad in (None, 42, "", "tomorrow", "2026-11-25T19:30:00", "0001-01-01T00:00:00+14:00"):
        assert as_stamp(bad) is None
