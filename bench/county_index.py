"""Benchmark: the county indexer over many village databases (issue 10, "Scale").

(Not ``bench/county.py``: bench/ and tests/ are both on mypy's path, and ``county``
is the tests' package.)

1. Load: ``--villages`` databases on the peer, each a generated village of
   ``--matters`` matters with their stage records and supervision threads
   (:func:`village_app.demo.county.village_docs`, one ``_bulk_docs`` per 2,000).
2. Catch-up from zero: a new indexer folder, one ``run_once``.
3. A pass with nothing changed (what every poll costs).
4. Incremental: ``--new-docs`` new documents (matters, their records, supervision
   entries) across ``--changed`` villages, then one ``run_once``.
5. Index reads, ``--readers`` at once, each ``--reads`` times: ``villages()``,
   ``figures()`` (computed each time, as with an explicit ``now``, and as the pages
   call them: kept until the index or the minute changes), ``review_queue(every code,
   limit 50)``, ``review_queue(10 codes, limit 50)``, ``matters(code)``; p50/p95.

``--reads-only`` skips the server: it writes an index of the same size from made-up
rows (statuses drawn at random, about half the resolutions waiting for review) and
measures step 5 alone.

Steps 2-4 run the way the server allows (on pouchdb-server: listing ``_all_dbs`` and
each database's ``update_seq``). With ``--db-updates-proxy`` they run a second time
through ``tests/county/dbupdates_proxy.py`` (a proxy serving ``_db_updates`` from the
writes it forwards; it is no CouchDB, and its own relaying adds time to every request),
with the incremental documents written through it.

Requests are counted by the indexer (every HTTP request it made to the server);
"revisions read" is what the replications fetched. Run with the peer::

    .venv/bin/python tests/couchpeer.py -- .venv/bin/python bench/county_index.py --villages 300 --matters 200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from county.dbupdates_proxy import DbUpdatesProxy  # noqa: E402

from sync.couch_server import CouchServer  # noqa: E402
from village_app.county import tables  # noqa: E402
from village_app.county.index import CountyIndex  # noqa: E402
from village_app.county.indexer import CountyIndexer, IndexerStats  # noqa: E402
from village_app.county.summary import (  # noqa: E402
    MatterSummary,
    OpenThread,
    VillageSummary,
    as_stamp,
)
from village_app.demo.county import village_docs  # noqa: E402

Doc = dict[str, Any]
CHUNK = 2000


def code_of(n: int) -> str:
    return f"9902{n // 100:04d}{n % 100:04d}"


async def load(url: str, prefix: str, villages: int, matters: int) -> int:
    """Every village database, ``concurrency`` at a time; returns the documents written."""
    gate = asyncio.Semaphore(8)
    written = 0

    async def one(n: int) -> None:
        nonlocal written
        async with gate:
            docs = village_docs(code_of(n), matters=matters, seed=n)
            async with CouchServer(url) as server:
                await server.create_db(prefix + code_of(n))
                db = await server.database(prefix + code_of(n), create=False)
                try:
                    for i in range(0, len(docs), CHUNK):
                        results = await db.bulk_docs(docs[i : i + CHUNK])
                        assert all(r.get("ok") for r in results)
                finally:
                    await db.close()
            written += len(docs)

    await asyncio.gather(*(one(n) for n in range(villages)))
    return written


async def add_new(
    url: str, prefix: str, changed: int, new_docs: int, matters: int, seed: int
) -> int:
    """``new_docs`` new documents spread over the first ``changed`` villages."""
    each = new_docs // changed
    written = 0
    async with CouchServer(url) as server:
        for n in range(changed):
            fresh = [
                d
                for d in village_docs(code_of(n), matters=matters, seed=seed + n)
                if d["type"] in ("matter", "stage_record", "supervision")
            ][:each]
            db = await server.database(prefix + code_of(n), create=False)
            try:
                results = await db.bulk_docs(fresh)
                assert all(r.get("ok") for r in results)
            finally:
                await db.close()
            written += len(fresh)
    return written


async def timed_pass(indexer: CountyIndexer) -> tuple[float, dict[str, int]]:
    before = _counts(indexer.stats)
    start = time.perf_counter()
    stats = await indexer.run_once()
    seconds = time.perf_counter() - start
    after = _counts(stats)
    return seconds, {k: after[k] - before[k] for k in after}


def _counts(stats: IndexerStats) -> dict[str, int]:
    return {
        "looked at": stats.dbs_seen,
        "indexed": stats.dbs_indexed,
        "revisions read": stats.docs_read,
        "requests": stats.requests,
    }


def show(label: str, seconds: float, counts: dict[str, int]) -> None:
    parts = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    print(f"  {label:<34} {seconds:8.2f} s   {parts}", flush=True)


async def _reader(call: Callable[[], Awaitable[object]], times: int) -> list[float]:
    latencies = []
    for _ in range(times):
        start = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - start)
    return latencies


async def reads(folder: Path, readers: int, times: int) -> None:
    async with await CountyIndex.open(folder) as index:
        codes = [v.code for v in await index.villages()]
        fixed = datetime.now(UTC)
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "villages(), computed": lambda: index.villages(now=fixed),
            "villages(), kept for the minute": index.villages,
            "figures(), computed": lambda: index.figures(now=fixed),
            "figures(), kept for the minute": index.figures,
            "review_queue(all, limit=50)": lambda: index.review_queue(codes, limit=50),
            "review_queue(10 villages, limit=50)": lambda: index.review_queue(codes[:10], limit=50),
            "matters(one village)": lambda: index.matters(codes[len(codes) // 2]),
        }
        for name, call in calls.items():
            await call()  # warm
            found = await asyncio.gather(*(_reader(call, times) for _ in range(readers)))
            latencies = sorted(t for one in found for t in one)
            p50 = statistics.median(latencies) * 1000
            p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
            print(f"  {name:<36} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)


async def rounds(args: argparse.Namespace, url: str, prefix: str, work: Path) -> None:
    ways: list[tuple[str, str | None]] = [("as the server allows", None)]
    if args.db_updates_proxy:
        ways.append(("_db_updates through the test proxy", "proxy"))
    for n, (way, proxied) in enumerate(ways):
        proxy = DbUpdatesProxy(url) if proxied else None
        if proxy is not None:
            await proxy.__aenter__()
        try:
            via = proxy.url if proxy is not None else url
            folder = work / f"county-{n}"
            print(f"\nindexer, {way}:", flush=True)
            async with CountyIndexer(via, folder, prefix=prefix) as indexer:
                seconds, counts = await timed_pass(indexer)
                show(f"catch-up from zero ({indexer.stats.mode})", seconds, counts)
                seconds, counts = await timed_pass(indexer)
                show("a pass with nothing new", seconds, counts)
                added = await add_new(
                    via,
                    prefix,
                    args.changed,
                    args.new_docs,
                    max(args.matters, 20),
                    seed=10_000 * (n + 1),
                )
                seconds, counts = await timed_pass(indexer)
                show(f"after {added:,} new docs in {args.changed} villages", seconds, counts)
            if n == 0:
                print(f"\nindex reads, {args.readers} readers at once:", flush=True)
                await reads(folder, args.readers, args.reads)
        finally:
            if proxy is not None:
                await proxy.__aexit__(None, None, None)


async def synthetic_index(folder: Path, villages: int, matters: int) -> None:
    """An index of ``villages`` x ``matters`` made-up rows, written as the indexer writes."""
    rng = random.Random(1)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    file = await tables.open_tables(folder)
    try:
        for v in range(villages):
            code = code_of(v)
            rows = []
            for m in range(matters):
                created = now - timedelta(days=rng.uniform(0, 400))
                resolved = created + timedelta(days=20) if rng.random() < 0.6 else None
                due = resolved + timedelta(days=7) if resolved else None
                published = (
                    resolved + timedelta(days=rng.choice((2, 5, 20)))
                    if resolved and rng.random() < 0.7
                    else None
                )
                evidence = published or resolved
                rows.append(
                    MatterSummary(
                        id=f"matter:{code}:{m:026d}",
                        title=f"事项{m}",
                        body="party_branch",
                        kind="major",
                        procedure="major",
                        stage=rng.choice(("proposal", "review", "resolution", "completed")),
                        created_at=as_stamp(created),
                        latest_evidence_at=as_stamp(evidence),
                        resolution_at=as_stamp(resolved),
                        publication_required=True,
                        publication_due_at=as_stamp(due),
                        published_at=as_stamp(published),
                        evidence_at=as_stamp(evidence),
                        last_review_at=None,
                        last_review_decision=None,
                        review_pending=evidence is not None and rng.random() < 0.5,
                    )
                )
            threads = tuple(
                OpenThread(f"supervision:{code}:{n}", None, "open", as_stamp(now - timedelta(n)))
                for n in range(0, 300, 30)
            )
            summary = VillageSummary(
                code, 4 * matters, as_stamp(now), code, tuple(rows), threads, (), 0, {}
            )
            await tables.save_village(
                file, summary, db_name=code, update_seq=1, instance="x", now=as_stamp(now) or ""
            )
    finally:
        await file.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--matters", type=int, default=200)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--new-docs", type=int, default=1000)
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--db-updates-proxy", action="store_true")
    parser.add_argument("--reads-only", action="store_true")
    args = parser.parse_args()
    if args.reads_only:
        print(
            f"county index reads: {args.villages} villages x {args.matters} made-up matters, "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="cunyi-county-bench-") as work:
            await synthetic_index(Path(work), args.villages, args.matters)
            print(f"\nindex reads, {args.readers} readers at once:", flush=True)
            await reads(Path(work), args.readers, args.reads)
        return
    url = os.environ.get("COUCHDB_URL")
    if not url:
        sys.exit("set COUCHDB_URL, or run under tests/couchpeer.py (see the docstring)")
    prefix = f"cunyi_bench_{uuid.uuid4().hex[:6]}_village_"
    async with CouchServer(url) as server:
        welcome = await server.info()
    print(
        f"county indexer benchmark: {args.villages} villages x {args.matters} matters, "
        f"server {welcome.get('vendor_name') or 'CouchDB'} {welcome.get('version')}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs",
        flush=True,
    )
    try:
        start = time.perf_counter()
        docs = await load(url, prefix, args.villages, args.matters)
        print(f"  loaded {docs:,} documents in {time.perf_counter() - start:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="cunyi-county-bench-") as work:
            await rounds(args, url, prefix, Path(work))
    finally:
        async with CouchServer(url) as server:
            for name in await server.all_dbs():
                if name.startswith(prefix):
                    await server.delete_db(name)


if __name__ == "__main__":
    asyncio.run(main())
