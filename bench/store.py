"""Benchmark: the embedded store against the CouchDB-protocol peer over loopback.

Work, the same on every store: 10,000 documents shaped like real records
(about 1 KB, Chinese text) written with ``bulk_docs`` in batches of 500; all
of them read back through ``changes(include_docs=True)``; then 1,000 random
``get``s. The embedded store runs three times: "hybrid" (the default: bulk
work on its worker thread, point reads inline), everything on the thread,
and everything inline on the event loop, to show what the thread hop costs.

Run with the peer (``COUCHDB_URL`` set by the wrapper)::

    .venv/bin/python tests/couchpeer.py -- .venv/bin/python bench/store.py

Without ``COUCHDB_URL`` only the embedded store is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync.database import Database

_TEXT = (
    "村民代表会议审议了关于修缮村道和安装路灯的提议，经党支部提议、两委会商议、"
    "党员大会审议、村民代表会议决议，决议结果向全体村民公开，实施情况接受监督。"
)
_STAGES = ["提议", "商议", "审议", "决议", "公开", "实施"]


def make_docs(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        village = f"V{rng.randrange(20):03d}"
        docs.append(
            {
                "_id": f"matter:{village}:{uuid.UUID(int=rng.getrandbits(128)).hex}",
                "type": "matter",
                "village": village,
                "matter": f"M{i:05d}",
                "stage": rng.choice(_STAGES),
                "created_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T08:{i % 60:02d}:00Z",
                "created_by": f"secretary-{village}",
                "title": f"第{i}号事项：修缮村道与安装路灯",
                "body": _TEXT * 3,
                "votes": {"for": rng.randrange(40), "against": rng.randrange(5), "abstain": 1},
                "tags": ["道路", "照明", "公共设施"],
            }
        )
    return docs


async def _timed(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def run(db: Database, docs: list[dict[str, Any]], gets: int, batch: int) -> dict[str, float]:
    async def ingest() -> None:
        for i in range(0, len(docs), batch):
            results = await db.bulk_docs(docs[i : i + batch])
            assert all(r.get("ok") for r in results), results[:3]

    async def read_back() -> None:
        feed = await db.changes(include_docs=True)
        assert len(feed["results"]) == len(docs)

    ids = [d["_id"] for d in random.Random(3).choices(docs, k=gets)]

    async def random_gets() -> None:
        for docid in ids:
            await db.get(docid)

    return {
        "bulk_docs": len(docs) / await _timed(ingest),
        "changes": len(docs) / await _timed(read_back),
        "get": gets / await _timed(random_gets),
    }


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--gets", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    docs = make_docs(args.docs)
    size = sum(len(str(d).encode()) for d in docs) / len(docs)
    print(f"machine: {_machine()}")
    print(f"{args.docs} docs of ~{size:.0f} bytes, batches of {args.batch}, {args.gets} gets")

    from sync.embedded import open_embedded_database

    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("hybrid", "thread", "inline"):
            label = f"embedded ({mode})"
            path = os.path.join(tmp, f"bench_{mode}.sqlite")
            db = await open_embedded_database(path, threading=mode)
            try:
                figures[label] = await run(db, docs, args.gets, args.batch)
            finally:
                await db.close()

    couch_url = os.environ.get("COUCHDB_URL")
    if couch_url:
        from sync.couch import open_couch_database
        from sync.couch_server import CouchServer

        name = f"bench_{uuid.uuid4().hex[:8]}"
        db = await open_couch_database(f"{couch_url}/{name}")
        try:
            figures["peer (HTTP)"] = await run(db, docs, args.gets, args.batch)
        finally:
            await db.close()
            async with CouchServer(couch_url) as server:
                await server.delete_db(name)

    phases = ["bulk_docs", "changes", "get"]
    print(f"{'store':<20}" + "".join(f"{p + ' docs/s':>18}" for p in phases))
    for label, row in figures.items():
        print(f"{label:<20}" + "".join(f"{row[p]:>18,.0f}" for p in phases))
    if "peer (HTTP)" in figures:
        peer = figures["peer (HTTP)"]
        for label in ("embedded (hybrid)", "embedded (thread)", "embedded (inline)"):
            ratios = "".join(f"{figures[label][p] / peer[p]:>17.1f}x" for p in phases)
            print(f"{label + ' / peer':<20}{ratios}")


if __name__ == "__main__":
    asyncio.run(main())
