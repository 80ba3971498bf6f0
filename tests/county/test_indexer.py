"""The county indexer against the real peer, by listing ``_all_dbs`` (the way it goes when the
server has no ``_db_updates``: pouchdb-server's case; forced on a CouchDB that has one).
``test_db_updates.py`` runs the other way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from county.helpers import Villages, matters_of, stage_counts
from sync import open_database
from sync.couch_server import CouchServer
from village_app.county.index import CountyIndex
from village_app.county.indexer import CountyIndexer, IndexerLocked
from village_app.county.mirrors import marker, mirror_path
from village_app.county.tables import note_seq, open_tables

A, B, C = "990101001001", "990101001002", "990101001003"


def polling(villages: Villages) -> CountyIndexer:
    """An indexer that lists ``_all_dbs`` whatever the server offers."""
    return villages.indexer(use_db_updates=False)


async def test_catch_up_from_zero_indexes_every_village_and_leaves_others_alone(
    villages: Villages,
) -> None:
    written = {code: await villages.add(code, matters=10, seed=n) for n, code in enumerate((A, B))}
    await villages.add("990101001009" + "_public", matters=1)  # not a village database

    async with polling(villages) as indexer:
        stats = await indexer.run_once()

    assert stats.mode == "polling"
    assert (stats.dbs_indexed, stats.dbs_failed) == (2, 0)
    assert stats.docs_read == sum(len(d) for d in written.values())
    async with await CountyIndex.open(villages.folder) as index:
        rows = {v.code: v for v in await index.villages()}
        assert set(rows) == {A, B}
        for code, docs in written.items():
            row = rows[code]
            assert row.db_name == villages.name(code)
            assert row.doc_count == len(docs)
            assert row.matter_count == len(matters_of(docs))
            # The stages folded from the records agree with what the laptop wrote.
            assert row.matters_by_stage == stage_counts(docs)
            assert row.unreadable == 0
            newest = max(d["created_at"] for d in docs)
            assert row.last_record_at == newest
            assert {m.id for m in await index.matters(code)} == set(matters_of(docs))
            assert index.mirror_path(code).exists()


async def test_auto_falls_back_to_polling_where_the_server_has_no_db_updates(
    villages: Villages, server_has_db_updates: bool
) -> None:
    if server_has_db_updates:
        pytest.skip("this server serves _db_updates; the fallback is tested by forcing it")
    await villages.add(A, matters=2)
    async with villages.indexer() as indexer:
        stats = await indexer.run_once()
    assert (stats.mode, stats.dbs_indexed) == ("polling", 1)


async def test_incremental_pass_reads_only_what_changed(villages: Villages) -> None:
    docs = await villages.add(A, matters=6)
    await villages.add(B, matters=6, seed=1)
    async with polling(villages) as indexer:
        await indexer.run_once()
        before = indexer.stats.docs_read
        matter = next(iter(matters_of(docs).values()))
        edited = {**matter, "title": "硬化村东机耕道（改）"}
        await villages.put(A, [edited])
        stats = await indexer.run_once()

    assert stats.docs_read - before == 1  # the edited matter alone
    assert stats.dbs_indexed == 3  # A again, not B
    async with await CountyIndex.open(villages.folder) as index:
        titles = {m.id: m.title for m in await index.matters(A)}
    assert titles[matter["_id"]] == "硬化村东机耕道（改）"


async def test_a_restart_resumes_from_the_index_without_reading_everything_again(
    villages: Villages,
) -> None:
    await villages.add(A, matters=6)
    await villages.add(B, matters=6, seed=1)
    async with polling(villages) as first:
        await first.run_once()
    new = await villages.add(C, matters=3, seed=2)

    async with polling(villages) as second:
        stats = await second.run_once()

    assert (stats.dbs_seen, stats.dbs_indexed) == (3, 1)  # A and B compared, C read
    assert stats.docs_read == len(new)
    async with await CountyIndex.open(villages.folder) as index:
        assert {v.code for v in await index.villages()} == {A, B, C}
        assert {m.id for m in await index.matters(C)} == set(matters_of(new))


async def test_a_database_deleted_on_the_server_loses_its_mirror_and_rows(
    villages: Villages,
) -> None:
    await villages.add(A, matters=3)
    await villages.add(B, matters=3, seed=1)
    async with polling(villages) as indexer:
        await indexer.run_once()
        assert mirror_path(villages.folder, B).exists()
        await villages.delete(B)
        stats = await indexer.run_once()

    assert stats.dbs_dropped == 1
    assert not mirror_path(villages.folder, B).exists()
    async with await CountyIndex.open(villages.folder) as index:
        assert [v.code for v in await index.villages()] == [A]
        assert await index.matters(B) == []


async def test_a_database_deleted_and_made_again_is_read_from_the_start(
    villages: Villages,
) -> None:
    old = await villages.add(A, matters=4, seed=1)
    async with polling(villages) as indexer:
        await indexer.run_once()
        await villages.delete(A)
        new = await villages.add(A, matters=7, seed=2)
        stats = await indexer.run_once()

    assert stats.dbs_reset == 1
    async with await CountyIndex.open(villages.folder) as index:
        ids = {m.id for m in await index.matters(A)}
        row = await index.village(A)
    assert ids == set(matters_of(new))
    assert not ids & set(matters_of(old))
    assert row is not None and row.doc_count == len(new)


async def test_the_database_and_its_mirror_carry_the_same_identity(villages: Villages) -> None:
    await villages.add(A, matters=1)
    async with polling(villages) as indexer:
        await indexer.run_once()
    async with CouchServer(villages.url) as server:
        source = await server.database(villages.name(A), create=False)
        try:
            on_server = await marker(source)
        finally:
            await source.close()
    async with await open_database(str(mirror_path(villages.folder, A))) as mirror:
        in_mirror = await marker(mirror)
    assert on_server is not None and on_server == in_mirror
    async with polling(villages) as again:
        stats = await again.run_once()
    assert stats.dbs_reset == 0


async def test_one_indexer_per_folder(villages: Villages) -> None:
    await villages.add(A, matters=1)
    async with polling(villages) as first:
        await first.run_once()
        async with polling(villages) as second:
            with pytest.raises(IndexerLocked):
                await second.run_once()


async def test_last_change_is_when_the_indexer_saw_it(villages: Villages) -> None:
    docs = await villages.add(A, matters=2)
    now = [datetime(2026, 12, 1, 8, tzinfo=UTC)]
    async with villages.indexer(use_db_updates=False, clock=lambda: now[0]) as indexer:
        await indexer.run_once()
        now[0] = datetime(2026, 12, 2, 8, tzinfo=UTC)
        await indexer.run_once()  # nothing changed: last_change_at stays
        async with await CountyIndex.open(villages.folder) as index:
            row = await index.village(A)
            assert row is not None and row.last_change_at == "2026-12-01T08:00:00.000Z"
        now[0] = datetime(2026, 12, 3, 8, tzinfo=UTC)
        matter = next(iter(matters_of(docs).values()))
        await villages.put(A, [{**matter, "title": "改"}])
        await indexer.run_once()
    async with await CountyIndex.open(villages.folder) as index:
        row = await index.village(A)
    assert row is not None
    assert row.last_change_at == row.last_village_change_at == "2026-12-03T08:00:00.000Z"


async def test_a_new_sequence_with_nothing_new_behind_it_keeps_the_summary(
    villages: Villages,
) -> None:
    """A cluster may name the same point of a database with another sequence string; the
    mirror then gets nothing new and the village is not summarised again."""
    await villages.add(A, matters=3)
    now = [datetime(2026, 12, 1, 8, tzinfo=UTC)]
    async with villages.indexer(use_db_updates=False, clock=lambda: now[0]) as indexer:
        await indexer.run_once()
        tables = await open_tables(villages.folder)
        try:
            await note_seq(tables, A, "1-another-way-of-saying-it")
        finally:
            await tables.close()
        now[0] = datetime(2026, 12, 5, 8, tzinfo=UTC)
        stats = await indexer.run_once()
    assert (stats.dbs_indexed, stats.dbs_unchanged) == (1, 1)
    async with await CountyIndex.open(villages.folder) as index:
        row = await index.village(A)
    assert row is not None and row.last_change_at == "2026-12-01T08:00:00.000Z"
