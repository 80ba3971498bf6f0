"""The indexer following ``_db_updates``.

pouchdb-server has none, so these run through ``DbUpdatesProxy``: a proxy in front of
the peer that serves the feed from the writes it forwards (see dbupdates_proxy.py).
Every write of these tests goes through it. The last test uses the server's own feed,
where it has one (Apache CouchDB with ``_global_changes``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from county.dbupdates_proxy import DbUpdatesProxy
from county.helpers import Villages, matters_of
from sync.couch_server import CouchServer
from village_app.county.index import CountyIndex
from village_app.county.indexer import CountyIndexer
from village_app.county.mirrors import mirror_path
from village_app.demo.county import village_docs

A, B, C = "990101002001", "990101002002", "990101002003"


async def test_first_pass_lists_every_database_then_the_feed_names_the_changed_ones(
    villages: Villages, db_updates_proxy: DbUpdatesProxy
) -> None:
    proxied = villages.via(db_updates_proxy.url)
    docs = await proxied.add(A, matters=4)
    await proxied.add(B, matters=4, seed=1)
    async with proxied.indexer() as indexer:
        first = await indexer.run_once()
        assert (first.mode, first.dbs_indexed) == ("db_updates", 2)
        assert db_updates_proxy.requests["_all_dbs"] == 1

        matter = next(iter(matters_of(docs).values()))
        await proxied.put(A, [{**matter, "title": "改过的名称"}])
        indexed, read = first.dbs_indexed, first.docs_read
        second = await indexer.run_once()

    assert db_updates_proxy.requests["_all_dbs"] == 1  # not listed again
    # A alone is read again. (B is in the feed too, for the indexer's own checkpoint in it:
    # its update_seq has not moved, so it is compared and left.)
    assert second.dbs_indexed - indexed == 1
    assert second.docs_read - read == 1
    async with await CountyIndex.open(villages.folder) as index:
        titles = {m.id: m.title for m in await index.matters(A)}
    assert titles[matter["_id"]] == "改过的名称"


async def test_a_new_database_a_deleted_one_and_one_made_again_with_the_same_sequence(
    villages: Villages, db_updates_proxy: DbUpdatesProxy, server_has_db_updates: bool
) -> None:
    proxied = villages.via(db_updates_proxy.url)
    old = await proxied.add(A, matters=3)
    await proxied.add(B, matters=3, seed=1)
    async with proxied.indexer() as indexer:
        await indexer.run_once()
        seq_before = (await db_info(villages, A))["update_seq"]
        await proxied.add(C, matters=2, seed=2)
        await proxied.delete(B)
        # A made again with other documents, as many as before: on pouchdb-server its
        # update_seq is then the same number as before, and only the feed's "created"
        # tells the indexer to look.
        await proxied.delete(A)
        again = village_docs(A, matters=8, seed=7)[: len(old)]
        async with CouchServer(proxied.url) as server:
            await server.create_db(proxied.name(A))
        await proxied.put(A, again)
        seq_after = (await db_info(villages, A))["update_seq"]
        stats = await indexer.run_once()

    if not server_has_db_updates:  # pouchdb-server: the case this test is about
        assert seq_after == seq_before
    assert (stats.dbs_dropped, stats.dbs_reset) == (1, 1)
    assert not mirror_path(villages.folder, B).exists()
    async with await CountyIndex.open(villages.folder) as index:
        assert [v.code for v in await index.villages()] == [A, C]
        assert {m.id for m in await index.matters(A)} == set(matters_of(again))


async def db_info(villages: Villages, code: str) -> dict[str, Any]:
    async with CouchServer(villages.url) as server:
        return await server.db_info(villages.name(code))


async def test_an_index_followed_from_another_address_lists_everything_again(
    villages: Villages, couch_url: str
) -> None:
    """A feed checkpoint belongs to the server that gave it."""
    async with DbUpdatesProxy(couch_url) as first, DbUpdatesProxy(couch_url) as second:
        await villages.via(first.url).add(A, matters=2)
        async with villages.via(first.url).indexer() as indexer:
            await indexer.run_once()
        async with villages.via(second.url).indexer() as indexer:
            stats = await indexer.run_once()
    assert second.requests["_all_dbs"] == 1
    assert (stats.dbs_indexed, stats.dbs_reset) == (0, 0)  # the same databases, as they were


async def wait_for(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def follow(indexer: CountyIndexer) -> asyncio.Task[None]:
    return asyncio.create_task(indexer.run_forever())


async def stop(indexer: CountyIndexer, task: asyncio.Task[None]) -> None:
    indexer.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)


async def test_run_forever_waits_on_the_feed_and_indexes_a_change_when_it_comes(
    villages: Villages, db_updates_proxy: DbUpdatesProxy
) -> None:
    proxied = villages.via(db_updates_proxy.url)
    await proxied.add(A, matters=2)
    indexer = proxied.indexer(longpoll_timeout=5)
    task = await follow(indexer)
    try:
        async with await CountyIndex.open(villages.folder) as index:

            async def has(code: str) -> bool:
                return await index.village(code) is not None

            await wait_for(lambda: has(A), "the first catch-up")
            await proxied.add(B, matters=2, seed=1)
            await wait_for(lambda: has(B), "the new village")
        assert indexer.stats.mode == "db_updates"
        assert db_updates_proxy.requests["_all_dbs"] == 1  # B came by the feed
    finally:
        await stop(indexer, task)
        await indexer.close()


async def test_run_forever_polls_where_there_is_no_feed(villages: Villages) -> None:
    await villages.add(A, matters=2)
    indexer = villages.indexer(use_db_updates=False, poll_interval=0.2)
    task = await follow(indexer)
    try:
        async with await CountyIndex.open(villages.folder) as index:

            async def has(code: str) -> bool:
                return await index.village(code) is not None

            await wait_for(lambda: has(A), "the first catch-up")
            await villages.add(B, matters=2, seed=1)
            await wait_for(lambda: has(B), "the next poll")
        assert indexer.stats.mode == "polling"
    finally:
        await stop(indexer, task)
        await indexer.close()


async def test_the_servers_own_db_updates(villages: Villages, server_has_db_updates: bool) -> None:
    if not server_has_db_updates:
        pytest.skip(
            "the peer has no _db_updates (pouchdb-server 4.2.0 answers 400); "
            "the proxy tests above stand in for it"
        )
    await villages.add(A, matters=2)
    async with villages.indexer() as indexer:
        await indexer.run_once()
        await villages.add(B, matters=2, seed=1)
        stats = await indexer.run_once()
    assert stats.mode == "db_updates"
    async with await CountyIndex.open(villages.folder) as index:
        assert {v.code for v in await index.villages()} == {A, B}
