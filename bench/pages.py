"""Benchmark: the web pages under load, against a real server.

10,000 matters in the embedded store (one matter taken through all six stages with
real records, the rest spread over stages, bodies and years, each with a plain record of
every stage before its own); ``village-app serve``
(uvicorn, one process) in a subprocess; 20 concurrent clients (httpx, async), each
logged in with its own session. Measured in the same run, on the same server:

* ``/healthz``: a trivial Starlette endpoint behind the same middleware, the ceiling;
* ``/matters?stage=…&body=…&year=…``: the filtered matters list;
* ``/matters/{id}``: the matter page (timeline of six stages, the next-stage form).

Before the server runs, the search over the same data is measured in-process: a query
against the in-process search index (``VillageStore.search``, built once) beside a naive
search that reads and parses every document of the village per query.

Prints p50/p95 latency and requests/s for each, and each page's ratio to the
ceiling. Run::

    .venv/bin/python bench/pages.py [--matters 10000] [--clients 20] [--seconds 8] [--baseline DIR]
                                    [--search-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sync  # noqa: E402
from village_app import accounts, repo  # noqa: E402
from village_app.domain import (  # noqa: E402
    COUNCIL_STAGES,
    COUNCILS,
    MAJOR_STAGES,
    Attendance,
    BodyKind,
    Matter,
    Publication,
    StageRecord,
    Village,
    Vote,
)
from village_app.domain.dates import SHANGHAI  # noqa: E402
from village_app.repo import docs  # noqa: E402

VILLAGE = "530102003004"
USER, PASSWORD = "bench", "bench-password"
FILTER = {"stage": "review", "body": "party_branch", "year": "2025"}


async def _build(data_dir: Path, count: int) -> str:
    """The village database; returns the id of the matter whose page is measured."""
    rng = random.Random(20261125)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ticks = iter(range(10**9))
    actor = repo.Actor("bench", clock=lambda: start + timedelta(seconds=next(ticks)), rng=rng)
    db = await sync.open_database(str(data_dir / f"{VILLAGE}.sqlite"))
    # The measured matter is entered as a secretary would, on today's clock (records are
    # refused a date after today); the synthetic ones use the stepping clock for their ids.
    store = repo.VillageStore(db, VILLAGE, repo.Actor("bench", rng=rng))
    try:
        await accounts.add_user(db, USER, PASSWORD, village=VILLAGE)
        await store.save_village(Village(VILLAGE, "石桥村", "南岭镇", "青川县"))
        batch: list[dict[str, object]] = []
        for i in range(count - 1):
            major = rng.random() < 0.6
            stages = MAJOR_STAGES if major else COUNCIL_STAGES
            matter = Matter(
                kind="major" if major else "council",
                # One in a hundred is about solar lamps (a query with a few hits).
                title=f"第{i}号事项：{'主干道太阳能路灯安装' if i % 100 == 7 else '村道修缮与路灯安装'}",
                body=BodyKind.PARTY_BRANCH if major else rng.choice(COUNCILS),
                year=rng.choice((2024, 2025, 2026)),
                summary="村民代表会议审议了关于修缮村道和安装路灯的提议。",
                stage=rng.choice([*(s.key for s in stages), "completed"]),
            )
            doc = docs.matter_to_doc(VILLAGE, matter, actor)
            batch.append(doc)
            # The stage is a function of the records (the store repairs it at start-up):
            # each matter gets a plain record of every stage before the one it is at.
            keys = [s.key for s in stages]
            done = keys if matter.stage == "completed" else keys[: keys.index(matter.stage)]
            when = datetime(2024, 1, 1, 19, 30, tzinfo=SHANGHAI)
            for n, key in enumerate(done):
                record = StageRecord(
                    doc["_id"], key, held_at=when + timedelta(days=7 * n), content="记录"
                )
                batch.append(
                    docs.stage_record_to_doc(VILLAGE, replace(matter, id=doc["_id"]), record, actor)
                )
            if len(batch) >= 500:
                await db.bulk_docs(batch)
                batch = []
        if batch:
            await db.bulk_docs(batch)
        measured = await store.create_matter(
            Matter(
                kind="major", title="修建村东机耕道", body="", year=2026, summary="硬化 1.2 公里"
            )
        )

        def at(day: int) -> datetime:
            return datetime(2026, 11, day, 19, 30, tzinfo=SHANGHAI)

        records = [
            StageRecord(
                measured.id, "proposal", held_at=at(2), attendance=Attendance(7, 6), content="提议"
            ),
            StageRecord(
                measured.id,
                "consultation",
                held_at=at(5),
                attendance=Attendance(9, 8),
                content="商议",
            ),
            StageRecord(
                measured.id,
                "review",
                held_at=at(10),
                attendance=Attendance(40, 35),
                vote=Vote(30, 3, 2),
            ),
            StageRecord(
                measured.id,
                "resolution",
                body="representatives",
                held_at=at(15),
                attendance=Attendance(30, 21),
                vote=Vote(18, 2, 1),
                content="决议",
            ),
            StageRecord(
                measured.id,
                "resolution_publication",
                content="公开",
                publication=Publication("决议公告", "村务公开栏", at(16)),
            ),
        ]
        for record in records:
            await store.append_stage_record(measured.id, record)
        return measured.id
    finally:
        await db.close()


#: Few hits, every matter (and more), one, the measured matter's stage records, none.
SEARCH_QUERIES = ("太阳能", "路灯", "第9998号", "修建村东机耕道", "没有这个词")


async def _naive_search(db: sync.Database, query: str) -> int:
    """The baseline: every document of the village read and parsed, then tested."""
    parsers = {
        "matter": (docs.matter_from_doc, ("title", "summary")),
        "stage_record": (docs.stage_record_from_doc, ("subject", "content")),
        "supervision": (docs.supervision_from_doc, ("finding", "follow_up")),
        "ceremony": (docs.ceremony_from_doc, ("family", "note")),
    }
    folded, found = query.lower(), 0
    for row in (await db.all_docs(include_docs=True))["rows"]:
        doc = row.get("doc") or {}
        kind = parsers.get(doc.get("type", ""))
        if kind is None or doc.get("village") != VILLAGE:
            continue
        try:
            record = kind[0](doc)
        except Exception:
            continue
        if any(folded in getattr(record, name).lower() for name in kind[1]):
            found += 1
    return found


def _ms(seconds: list[float]) -> tuple[float, float]:
    return statistics.median(seconds) * 1000, max(seconds) * 1000


async def _search_bench(data_dir: Path, repeat: int, naive_repeat: int) -> None:
    db = await sync.open_database(str(data_dir / f"{VILLAGE}.sqlite"))
    try:
        store = repo.VillageStore(db, VILLAGE, repo.Actor(USER))
        began = time.perf_counter()
        await store.warm_up_search()
        built = time.perf_counter() - began
        index = store.caches.search
        assert index is not None
        sizes = ", ".join(f"{len(v)} {k}" for k, v in index.entries.items())
        print(f"\nsearch index built in {built * 1000:.0f} ms ({sizes})")
        print(
            "\n| query | matches | index p50 ms | index max ms | full scan p50 ms | full scan max ms | speed-up |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        # The index first, then the baseline (whose garbage would otherwise bill the index
        # for the collector's passes).
        fast: dict[str, list[float]] = {q: [] for q in SEARCH_QUERIES}
        totals: dict[str, int] = {}
        for _ in range(repeat):
            for query in SEARCH_QUERIES:
                t0 = time.perf_counter()
                totals[query] = (await store.search(query, ceremonies=True)).total
                fast[query].append(time.perf_counter() - t0)
        worst = 0.0
        for query in SEARCH_QUERIES:
            slow: list[float] = []
            for _ in range(naive_repeat):
                t0 = time.perf_counter()
                naive = await _naive_search(db, query)
                slow.append(time.perf_counter() - t0)
            if naive != totals[query]:
                raise RuntimeError(f"{query}: index found {totals[query]}, full scan {naive}")
            (f50, fmax), (s50, smax) = _ms(fast[query]), _ms(slow)
            worst = max(worst, fmax)
            print(
                f"| {query} | {naive} | {f50:.1f} | {fmax:.1f} | {s50:.0f} | {smax:.0f} | {s50 / f50:.0f}x |"
            )
        print(
            f"\naim: a search under 50 ms: {'met' if worst < 50 else 'NOT met'} (worst {worst:.1f} ms)"
        )
    finally:
        await db.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _logged_in_client(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    login = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    answer = await client.post(
        "/login", data={"username": USER, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert answer.status_code in (200, 303), answer.status_code
    return client


@dataclass
class Result:
    name: str
    latencies: list[float]
    seconds: float

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[18] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


async def _load(clients: list[httpx.AsyncClient], name: str, url: str, seconds: float) -> Result:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            response = await client.get(url)
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    return Result(name, latencies, time.perf_counter() - began)


async def _run(base: str, matter_id: str, client_count: int, seconds: float) -> list[Result]:
    clients = [await _logged_in_client(base) for _ in range(client_count)]
    try:
        query = "&".join(f"{k}={v}" for k, v in FILTER.items())
        # Warm up (the matters index is built on first use), then measure.
        for url in ("/healthz", f"/matters?{query}", f"/matters/{matter_id}"):
            await clients[0].get(url)
        return [
            await _load(clients, "trivial endpoint (ceiling)", "/healthz", seconds),
            await _load(clients, "matters list, filtered", f"/matters?{query}", seconds),
            await _load(clients, "matter page (6 stages)", f"/matters/{matter_id}", seconds),
        ]
    finally:
        for c in clients:
            await c.aclose()


def _serve_and_load(
    code: Path, data_dir: Path, matter_id: str, clients: int, seconds: float
) -> list[Result]:
    """Start ``village-app serve`` from the checkout ``code`` over ``data_dir`` and load it."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "village_app.cli",
            "serve",
            "--data",
            str(data_dir),
            "--port",
            str(port),
        ],
        cwd=code,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(code)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        return asyncio.run(_run(base, matter_id, clients, seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)


def _table(title: str, results: list[Result]) -> None:
    ceiling = results[0]
    print(f"\n{title}\n")
    print("| endpoint | requests | p50 ms | p95 ms | req/s | req/s vs ceiling | p95 vs ceiling |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.name} | {len(r.latencies)} | {r.p50:.1f} | {r.p95:.1f} | {r.rate:.0f} "
            f"| {r.rate / ceiling.rate:.2f} | {r.p95 / ceiling.p95:.1f}x |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matters", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a checkout of an earlier commit (git worktree add DIR REV): served over the same "
        "data, alternating with this one, for before/after figures from one run",
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternations with --baseline")
    parser.add_argument(
        "--search-only", action="store_true", help="measure the search, not the server"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cunyi-bench-") as tmp:
        data_dir = Path(tmp)
        began = time.perf_counter()
        matter_id = asyncio.run(_build(data_dir, args.matters))
        print(f"built {args.matters} matters in {time.perf_counter() - began:.1f} s")
        asyncio.run(_search_bench(data_dir, repeat=50, naive_repeat=3))
        if args.search_only:
            return 0
        runs: list[tuple[str, list[Result]]] = []
        for n in range(args.rounds if args.baseline else 1):
            if args.baseline:
                runs.append(
                    (
                        f"baseline ({args.baseline}), round {n + 1}",
                        _serve_and_load(
                            args.baseline, data_dir, matter_id, args.clients, args.seconds
                        ),
                    )
                )
            runs.append(
                (
                    f"this checkout, round {n + 1}",
                    _serve_and_load(ROOT, data_dir, matter_id, args.clients, args.seconds),
                )
            )

    print(
        f"\n{args.clients} concurrent clients, {args.seconds:.0f} s each, {args.matters} matters, one uvicorn process"
    )
    for title, results in runs:
        _table(title, results)
    worst = max(r.p95 for title, results in runs if title.startswith("this") for r in results[1:])
    print(
        f"\naim: p95 under 100 ms for the pages: {'met' if worst < 100 else 'NOT met'} (worst {worst:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
