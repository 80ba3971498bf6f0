"""What the county index says about a village: documents that cannot be read, reviews and the
review queue, supervision and publication timeliness, from real village databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from county.helpers import Doc, Villages, matters_of
from village_app.county.index import CountyIndex
from village_app.domain.timeliness import Timeliness

A, B = "990101003001", "990101003002"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def review(code: str, matter_id: str, n: int, **fields: Any) -> Doc:
    doc: Doc = {
        "_id": f"review:{code}:01KZREVIEW{n:016d}",
        "type": "review",
        "village": code,
        "matter_id": matter_id,
        "decision": "recorded",
        "comment": "",
        "stage_comments": {},
        "created_at": "2026-11-30T08:00:00.000Z",
        "created_by": "county_reviewer",
    }
    doc.update(fields)
    return doc


def records_of(docs: list[Doc], matter_id: str) -> list[Doc]:
    return [d for d in docs if d["type"] == "stage_record" and d["matter"] == matter_id]


async def test_malformed_documents_are_listed_and_the_rest_is_indexed(
    villages: Villages,
) -> None:
    docs = await villages.add(A, matters=5)
    matter = next(iter(matters_of(docs).values()))
    bad = [
        {**matter, "title": 42},  # an edit by a broken laptop
        {
            "_id": f"stage_record:{A}:01KZBAD0000000000000000000",
            "type": "stage_record",
            "village": A,
            "matter": matter["_id"],
            "stage": "proposal",
            "attendance": {"expected": "many", "present": 3},
            "created_at": "2026-11-01T00:00:00.000Z",
            "created_by": "secretary",
        },
        {
            "_id": f"matter:{B}:01KZOTHER00000000000000000",
            "type": "matter",
            "village": B,  # another village's record in A's database
            "kind": "major",
            "title": "别村的事项",
            "body": "party_branch",
            "year": 2026,
            "created_at": "2026-11-01T00:00:00.000Z",
        },
        review(A, matter["_id"], 1, decision="maybe"),
        {"_id": "note:from-a-newer-version", "type": "note", "village": A, "text": "kept"},
    ]
    await villages.put(A, bad)
    async with villages.indexer(use_db_updates=False) as indexer:
        stats = await indexer.run_once()

    assert (stats.dbs_indexed, stats.dbs_failed) == (1, 0)
    async with await CountyIndex.open(villages.folder) as index:
        listed = {u.id: u for u in await index.unreadable(A)}
        row = await index.village(A, now=NOW)
        matters = {m.id for m in await index.matters(A, now=NOW)}
    assert set(listed) == {d["_id"] for d in bad[:4]}
    assert listed[matter["_id"]].reason.startswith("title")
    assert listed[bad[1]["_id"]].type == "stage_record"
    assert "village" in listed[bad[2]["_id"]].reason
    assert listed[bad[3]["_id"]].type == "review"
    assert all(u.rev for u in listed.values())
    assert row is not None and row.unreadable == 4
    assert row.doc_count == len(docs) + 4  # the other village's matter, the review, the note
    # The unreadable matter is left out; the others are there.
    assert matters == set(matters_of(docs)) - {matter["_id"]}


async def test_the_review_queue_follows_resolutions_publications_and_reviews(
    villages: Villages,
) -> None:
    docs = await villages.add(A, matters=30, seed=3)
    await villages.add(B, matters=10, seed=4)
    async with villages.indexer(use_db_updates=False) as indexer:
        await indexer.run_once()
        async with await CountyIndex.open(villages.folder) as index:
            queue = await index.review_queue([A], now=NOW)
        resolved = {
            m
            for m, matter in matters_of(docs).items()
            if any(r["stage"] in ("resolution", "council_resolution") for r in records_of(docs, m))
        }
        assert {q.id for q in queue} == resolved
        assert all(q.code == A for q in queue)
        arrived = [str(q.evidence_at) for q in queue]
        assert None not in [q.evidence_at for q in queue]
        assert arrived == sorted(arrived)  # oldest evidence first

        first, second, third = queue[0], queue[1], queue[2]
        late = datetime.fromisoformat(str(first.evidence_at).replace("Z", "+00:00"))
        await villages.put(
            A,
            [
                # reviewed after its evidence: off the queue
                review(A, first.id, 1, created_at=_stamp(late + timedelta(days=1))),
                # reviewed before its evidence arrived: stays
                review(A, second.id, 2, created_at="2000-01-01T00:00:00.000Z", decision="returned"),
                # the review lists what it saw, and that is every record: off the queue,
                # whatever the clocks say
                review(
                    A,
                    third.id,
                    3,
                    created_at="2000-01-01T00:00:00.000Z",
                    records=[r["_id"] for r in records_of(docs, third.id)],
                ),
            ],
        )
        await indexer.run_once()
        async with await CountyIndex.open(villages.folder) as index:
            after = {q.id: q for q in await index.review_queue([A, B], now=NOW)}
            row = await index.village(A, now=NOW)
            figures = (await index.figures([A], now=NOW))[A]
            one = await index.matter(A, first.id, now=NOW)

    assert first.id not in after and third.id not in after
    assert after[second.id].last_review_decision == "returned"
    assert {q.code for q in after.values()} == {A, B}
    assert one.last_review_decision == "recorded" and not one.review_pending
    assert row is not None and row.reviews == 3
    assert row.reviews_pending == len([q for q in after.values() if q.code == A])
    assert (figures.reviews_done, figures.reviews_pending) == (2, row.reviews_pending)


async def test_timeliness_and_overdue_counts_follow_the_records(villages: Villages) -> None:
    docs = await villages.add(A, matters=40, seed=5)
    async with villages.indexer(use_db_updates=False) as indexer:
        await indexer.run_once()
    async with await CountyIndex.open(villages.folder) as index:
        matters = await index.matters(A, now=NOW)
        row = await index.village(A, now=NOW)
        figures = (await index.figures([A], now=NOW))[A]
    by_status: dict[str, int] = {}
    for m in matters:
        by_status[m.timeliness.value] = by_status.get(m.timeliness.value, 0) + 1
        if m.published_at is not None:
            assert m.timeliness in (Timeliness.ON_TIME, Timeliness.LATE)
            publication = next(
                r
                for r in records_of(docs, m.id)
                if r["stage"] in ("resolution_publication", "council_publication")
            )
            published = datetime.fromisoformat(publication["publication"]["published_at"])
            assert m.published_at == _stamp(published)
    assert figures.timeliness == by_status
    assert row is not None and row.overdue == by_status.get("overdue", 0)
    # The generator publishes about half late: both kinds are there to count.
    assert by_status.get("on_time", 0) > 0 and by_status.get("late", 0) > 0


async def test_open_supervision_threads_by_age(villages: Villages) -> None:
    docs = await villages.add(A, matters=60, seed=6)
    threads = [d for d in docs if d["type"] == "supervision" and not d.get("thread")]
    closed = {d["thread"] for d in docs if d["type"] == "supervision" and d.get("thread")}
    async with villages.indexer(use_db_updates=False) as indexer:
        await indexer.run_once()
    async with await CountyIndex.open(villages.folder) as index:
        row = await index.village(A, now=NOW)
        figures = (await index.figures([A], now=NOW))[A]
    open_threads = [t for t in threads if t["_id"] not in closed]
    assert open_threads, "the generator left some threads open"
    assert row is not None and row.open_supervision == len(open_threads)
    assert sum(figures.threads_by_age.values()) == len(open_threads)


def _stamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
