"""Benchmark: many laptops pushing to the county at once (issue 10, "Scale").

1. Setup (not timed as part of the push): a county of ``--laptops`` villages in
   ``--townships`` townships (a :class:`~village_app.county.registry.Registry`), one
   secretary account per village on the server (role ``village_<code>``), and one embedded
   store per laptop filled with a generated village
   (:func:`village_app.demo.county.village_docs`, ``created_by`` set to the secretary's
   account, as the laptop writes it), written with ``bulk_docs``. One stage record in
   ``--scan-every`` carries a signed-sheet scan of ``--scan-kb`` KB written with it, and one
   in ``4 * --scan-every`` gets a second page added afterwards (``put_attachment``: a second
   revision).
2. For each run (``all`` laptops at once, then ``--bounded`` at a time; ``--repeat`` runs
   each again, in the other order), in a process of its own so that its peak RSS is its own:
   the county provisioned the real way (:func:`~village_app.county.provision.init_county`:
   each village's database with its ``_security`` and the ``validate_doc_update`` design
   document, its public database and the ``_replicator`` job that fills it, which the peer
   runs meanwhile), then every laptop pushes (``sync.replicate``) to its village's database
   with its secretary's credentials, so the server's write rules judge every revision.
   Measured: wall time, each push's own time (from its start, so not the wait for a slot),
   HTTP requests and bytes (the replications' own counters), revisions written, refusals,
   retries and why, CPU time of the pushing process, of the peer (pouchdb-server, when it runs
   on this machine) and of every other process on the machine (the figures are only as
   quiet as the machine was), and the peak RSS of the pushing process and of the peer.
3. Check, document by document, for every laptop: each document on the laptop is on the
   county with the same winning revision, the same body and the same attachments (digest,
   length and the bytes themselves); the county has nothing else but ``_design/cunyi``, and
   no document there has a second leaf (a revision branched off: written twice).
   ``lost``: on the laptop, not (or at another revision) on the county; ``duplicated``: on
   the county and not on the laptop, or with more leaves than on the laptop; ``altered``:
   same revision, different body or attachment.

Each run's databases and jobs are deleted before the next starts (the peer keeps databases in
memory), and everything made on the server (databases, jobs, accounts) is deleted at the end,
also after a failure, Ctrl-C or SIGTERM; the last line says what is left (nothing). Run with
the peer::

    .venv/bin/python tests/couchpeer.py -- .venv/bin/python bench/county_push.py --laptops 200 --matters 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import multiprocessing
import os
import platform
import random
import resource
import secrets
import signal
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from sync import Replication, open_database, replicate  # noqa: E402
from sync.couch_server import CouchServer  # noqa: E402
from sync.database import Database, Doc  # noqa: E402
from sync.errors import NotFoundError  # noqa: E402
from sync.replication import ReplicationEvent  # noqa: E402
from village_app.county import publishing, roles  # noqa: E402
from village_app.county import registry as county_registry  # noqa: E402
from village_app.county.provision import DESIGN_ID, init_county  # noqa: E402
from village_app.demo.county import village_docs  # noqa: E402

COUNTY = "990201"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@dataclass(frozen=True)
class Laptop:
    code: str
    account: str
    password: str
    path: Path
    seed: int


@dataclass
class Filled:
    docs: int = 0
    scans: int = 0
    scan_bytes: int = 0


@dataclass
class Check:
    docs: int = 0  # documents on the laptops
    scans: int = 0  # attachments compared byte for byte
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)

    def add(self, other: Check) -> None:
        self.docs += other.docs
        self.scans += other.scans
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.altered += other.altered


@dataclass
class Run:
    label: str
    at_once: int
    provision_s: float
    wall_s: float
    each_s: list[float]
    totals: dict[str, int]
    failed: dict[str, str]
    denials: list[str]
    check: Check
    retry_reasons: Counter[str]
    client_cpu_s: float
    peer_cpu_s: float | None
    machine_cpu_s: float  # every process on the machine, ours included
    load_1min: float  # the load average at the end of the pushes
    rss_mb: float
    peer_rss_mb: float | None


# -- the county and the laptops -------------------------------------------------------------
def county(prefix: str, laptops: int, townships: int) -> county_registry.Registry:
    """``laptops`` villages dealt round the townships; codes county + township + number."""
    codes = [f"{t + 1:03d}" for t in range(townships)]
    return county_registry.parse(
        {
            "county": {"name": "青禾县", "code": COUNTY},
            "townships": [{"code": c, "name": f"{c}镇"} for c in codes],
            "villages": [
                {
                    "code": f"{COUNTY}{codes[n % townships]}{n // townships + 1:03d}",
                    "name": f"村{n + 1:03d}",
                    "township": codes[n % townships],
                }
                for n in range(laptops)
            ],
        },
        source=f"{prefix}registry",
    )


def _scan(rng_seed: str, size: int) -> bytes:
    return JPEG_HEAD + random.Random(rng_seed).randbytes(max(size - len(JPEG_HEAD), 0))


async def fill(
    laptop: Laptop, township: str, matters: int, scan_every: int, scan_kb: int
) -> Filled:
    """The laptop's store: a generated village as its secretary wrote it, with scans."""
    docs = village_docs(laptop.code, matters=matters, seed=laptop.seed, township=township)
    done = Filled(docs=len(docs))
    records = [d for d in docs if d["type"] == "stage_record"]
    for doc in docs:
        doc["created_by"] = laptop.account
    for n, doc in enumerate(records[::scan_every]):
        data = _scan(f"{doc['_id']}:1", scan_kb * 1024 + n * 7)
        doc["_attachments"] = {
            "签字页.jpg": {"content_type": "image/jpeg", "data": base64.b64encode(data).decode()}
        }
        done.scans += 1
        done.scan_bytes += len(data)
    db = await open_database(str(laptop.path))
    try:
        results = await db.bulk_docs(docs)
        bad = [r for r in results if not r.get("ok")]
        if bad:
            raise RuntimeError(f"{laptop.code}: the laptop refused {bad[:3]}")
        revs = {r["id"]: r["rev"] for r in results}
        for doc in records[:: scan_every * 4]:
            data = _scan(f"{doc['_id']}:2", scan_kb * 1024 // 2)
            await db.put_attachment(
                doc["_id"], "签字页-2.jpg", data, "image/jpeg", rev=revs[doc["_id"]]
            )
            done.scans += 1
            done.scan_bytes += len(data)
    finally:
        await db.close()
    return done


def with_credentials(url: str, name: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(name, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


# -- memory ---------------------------------------------------------------------------------
def _status_kb(pid: int | str, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak(pid: int | str = "self") -> None:
    """Set ``VmHWM`` (peak RSS) to the current RSS, so the next reading is this run's peak."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_mb(pid: int | str = "self") -> float | None:
    kb = _status_kb(pid, "VmHWM")
    return None if kb is None else kb / 1024


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of process ``pid`` so far."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time spent by the whole machine so far (all CPUs, not idle)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def find_peer(url: str) -> int | None:
    """The pid of the pouchdb-server behind ``url``, if it runs here (as tests/couchpeer.py
    starts it: ``-p <port>`` on its command line)."""
    port = str(urlsplit(url).port or "")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = [a.decode(errors="replace") for a in args]
        if any("pouchdb-server" in a for a in text) and "-p" in text:
            i = text.index("-p")
            if i + 1 < len(text) and text[i + 1] == port:
                return int(proc.name)
    return None


# -- one run ---------------------------------------------------------------------------------
async def push_all(
    url: str, prefix: str, laptops: list[Laptop], at_once: int
) -> tuple[float, list[Replication], dict[str, str], Counter[str]]:
    gate = asyncio.Semaphore(at_once)
    failed: dict[str, str] = {}
    retries: Counter[str] = Counter()

    async def note(event: ReplicationEvent) -> None:
        if event.kind == "retry":
            retries[f"{type(event.error).__name__}: {str(event.error)[:120]}"] += 1

    async def push(laptop: Laptop) -> Replication:
        target = with_credentials(url, laptop.account, laptop.password)
        async with gate:
            rep = replicate(
                str(laptop.path),
                f"{target}/{roles.village_database(laptop.code, prefix)}",
                on_event=note,
            )
            try:
                await rep
            except Exception as exc:  # counted and reported, the others go on
                failed[laptop.code] = f"{type(exc).__name__}: {exc}"
            return rep

    start = time.perf_counter()
    reps = await asyncio.gather(*(push(lap) for lap in laptops))
    return time.perf_counter() - start, list(reps), failed, retries


def _attachments(doc: Doc) -> dict[str, tuple[Any, Any]]:
    return {
        name: (stub.get("digest"), stub.get("length"))
        for name, stub in (doc.get("_attachments") or {}).items()
    }


def _body(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k != "_attachments"}


async def _leaves(db: Database) -> dict[str, int]:
    feed = await db.changes(style="all_docs")
    return {row["id"]: len(row["changes"]) for row in feed["results"] if not row.get("deleted")}


async def verify_one(server: CouchServer, laptop: Laptop, db_name: str) -> Check:
    check = Check()
    local = await open_database(str(laptop.path), create=False)
    remote = await server.database(db_name, create=False)
    try:
        mine = {r["id"]: r["doc"] for r in (await local.all_docs(include_docs=True))["rows"]}
        theirs = {r["id"]: r["doc"] for r in (await remote.all_docs(include_docs=True))["rows"]}
        my_leaves, their_leaves = await _leaves(local), await _leaves(remote)
        theirs.pop(DESIGN_ID, None)
        their_leaves.pop(DESIGN_ID, None)
        check.docs = len(mine)
        for docid, doc in mine.items():
            other = theirs.get(docid)
            if other is None or other["_rev"] != doc["_rev"]:
                check.lost.append(f"{db_name}/{docid}")
                continue
            if _body(doc) != _body(other) or _attachments(doc) != _attachments(other):
                check.altered.append(f"{db_name}/{docid}")
                continue
            for name in doc.get("_attachments") or {}:
                here, _ = await local.get_attachment(docid, name)
                there, _ = await remote.get_attachment(docid, name)
                check.scans += 1
                if here != there:
                    check.altered.append(f"{db_name}/{docid}/{name}")
        check.duplicated += [f"{db_name}/{d}" for d in theirs if d not in mine]
        check.duplicated += [
            f"{db_name}/{d} ({n} leaves)"
            for d, n in their_leaves.items()
            if d in mine and n > my_leaves.get(d, 1)
        ]
    finally:
        await local.close()
        await remote.close()
    return check


async def verify(server: CouchServer, laptops: list[Laptop], prefix: str) -> Check:
    gate = asyncio.Semaphore(10)
    total = Check()

    async def one(laptop: Laptop) -> None:
        async with gate:
            total.add(await verify_one(server, laptop, roles.village_database(laptop.code, prefix)))

    await asyncio.gather(*(one(lap) for lap in laptops))
    return total


async def one_run(
    url: str,
    registry: county_registry.Registry,
    laptops: list[Laptop],
    prefix: str,
    publisher: str,
    label: str,
    at_once: int,
    peer: int | None,
) -> Run:
    """Provision the county's databases under ``prefix``, push every laptop, check."""
    async with CouchServer(url) as server:
        start = time.perf_counter()
        report = await init_county(server, registry, prefix=prefix, publisher=publisher)
        provision_s = time.perf_counter() - start
        wanted = {roles.village_database(lap.code, prefix) for lap in laptops}
        if not wanted <= set(report.created):
            raise RuntimeError(f"provisioning under {prefix}: {report.summary()}")
        reset_peak()
        if peer is not None:
            reset_peak(peer)
        cpu, peer_cpu, machine = time.process_time(), cpu_seconds(peer), machine_cpu_seconds()
        wall, reps, failed, retries = await push_all(url, prefix, laptops, at_once)
        cpu = time.process_time() - cpu
        peer_after = cpu_seconds(peer)
        machine = machine_cpu_seconds() - machine
        load = os.getloadavg()[0]
        rss = peak_mb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peer_rss = peak_mb(peer) if peer is not None else None
        keys = ("requests", "bytes_sent", "bytes_received", "docs_read", "docs_written")
        totals = {k: sum(getattr(r.counters, k) or 0 for r in reps) for k in keys}
        totals |= {
            "docs_denied": sum(r.counters.docs_denied for r in reps),
            "retries": sum(r.counters.retries for r in reps),
            "batches": sum(r.counters.batches for r in reps),
        }
        denials = [f"{d.docid}: {d.error}: {d.reason}" for r in reps for d in r.denied]
        check = await verify(server, laptops, prefix)
    return Run(
        label,
        at_once,
        provision_s,
        wall,
        sorted(r.seconds for r in reps),
        totals,
        failed,
        denials,
        check,
        retries,
        cpu,
        None if peer_cpu is None or peer_after is None else peer_after - peer_cpu,
        machine,
        load,
        rss,
        peer_rss,
    )


def _child(conn: Any, *args: Any) -> None:
    try:
        conn.send(("ok", asyncio.run(one_run(*args))))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


async def run_in_child(*args: Any) -> Run:
    """:func:`one_run` in a new interpreter, so each run's peak RSS is its own (a Python
    process keeps the memory it once used) and no run inherits another's leftovers."""
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(writer, *args), name="county-push-run")
    proc.start()
    writer.close()
    try:
        status, value = await asyncio.to_thread(reader.recv)
    except BaseException:
        proc.terminate()
        raise
    finally:
        await asyncio.to_thread(proc.join)
        reader.close()
    if status != "ok":
        raise RuntimeError(f"the run failed in its process:\n{value}")
    assert isinstance(value, Run)
    return value


# -- report ----------------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, max(0, round(q * len(values)) - 1))]


def table(runs: list[Run]) -> Iterator[str]:
    def opt(value: float | None, fmt: str) -> str:
        return "n/a" if value is None else format(value, fmt)

    yield (
        "| run | pushes at once | wall s | one push p50 / p95 / max s | requests | MB up | "
        "MB down | revisions written | retries | client CPU s | peer CPU s | "
        "other processes' CPU s | load | client peak RSS MB | peer peak RSS MB |"
    )
    yield "|" + "---|" * 15
    for r in runs:
        t = r.totals
        yield (
            f"| {r.label} | {r.at_once} | {r.wall_s:.1f} | "
            f"{statistics.median(r.each_s):.1f} / {_pct(r.each_s, 0.95):.1f} / "
            f"{max(r.each_s):.1f} | {t['requests']:,} | {t['bytes_sent'] / 1e6:.1f} | "
            f"{t['bytes_received'] / 1e6:.1f} | {t['docs_written']:,} | {t['retries']} | "
            f"{r.client_cpu_s:.1f} | {opt(r.peer_cpu_s, '.1f')} | "
            f"{r.machine_cpu_s - r.client_cpu_s - (r.peer_cpu_s or 0):.1f} | "
            f"{r.load_1min:.1f} | {r.rss_mb:,.0f} | "
            f"{opt(r.peer_rss_mb, ',.0f')} |"
        )
    yield ""
    yield (
        "| run | documents checked | attachments checked (bytes) | refused | failed pushes | "
        "lost | duplicated | altered |"
    )
    yield "|" + "---|" * 8
    for r in runs:
        c = r.check
        yield (
            f"| {r.label} | {c.docs:,} | {c.scans:,} | {r.totals['docs_denied']} | "
            f"{len(r.failed)} | {len(c.lost)} | {len(c.duplicated)} | {len(c.altered)} |"
        )


def details(run: Run) -> Iterator[str]:
    c = run.check
    yield (
        f"{run.label}: provisioned in {run.provision_s:.1f} s; checked {c.docs:,} documents "
        f"and {c.scans:,} attachments byte for byte: "
        f"lost={len(c.lost)} duplicated={len(c.duplicated)} altered={len(c.altered)}"
    )
    for what, items in (
        ("retried", [f"{n} x {why}" for why, n in run.retry_reasons.most_common()]),
        ("failed", [f"{k}: {v}" for k, v in run.failed.items()]),
        ("refused", run.denials),
        ("lost", c.lost),
        ("duplicated", c.duplicated),
        ("altered", c.altered),
    ):
        for item in items[:5]:
            yield f"  {what}: {item}"
        if len(items) > 5:
            yield f"  {what}: ... {len(items) - 5} more"


# -- setup and cleanup -----------------------------------------------------------------------
async def make_accounts(server: CouchServer, laptops: list[Laptop]) -> None:
    gate = asyncio.Semaphore(8)

    async def one(laptop: Laptop) -> None:
        async with gate:
            await server.put_user(
                laptop.account, laptop.password, [roles.village_role(laptop.code)]
            )

    await asyncio.gather(*(one(lap) for lap in laptops))


async def delete_all(
    url: str, prefix: str, accounts: Iterable[str] = (), jobs: Iterable[str] = ()
) -> tuple[int, int, int]:
    """The publishing ``jobs`` (``_replicator`` document ids; first: a job whose databases
    are gone only fails), the databases named ``prefix...``, the ``accounts``. Returns how
    many of each were there."""
    counts = [0, 0, 0]
    async with CouchServer(url) as server:
        names = await server.all_dbs()
        for n, (db_name, ids) in enumerate(
            (
                (publishing.REPLICATOR_DB, [j for j in jobs if publishing.REPLICATOR_DB in names]),
                ("_users", [f"org.couchdb.user:{a}" for a in accounts]),
            )
        ):
            if not ids:
                continue
            store = await server.database(db_name, create=False)
            try:
                found = await store.all_docs(keys=ids)
                for row in found["rows"]:
                    if "value" in row and not row["value"].get("deleted"):
                        with contextlib.suppress(NotFoundError):
                            await store.delete(row["id"], row["value"]["rev"])
                            counts[2 * n] += 1  # jobs first, accounts last
            finally:
                await store.close()
        for name in names:
            if name.startswith(prefix):
                with contextlib.suppress(NotFoundError):
                    await server.delete_db(name)
                    counts[1] += 1
    return counts[0], counts[1], counts[2]


async def bench(args: argparse.Namespace, url: str, prefix: str, work: Path) -> list[Run]:
    registry = county(prefix, args.laptops, args.townships)
    laptops = [
        Laptop(
            v.code,
            f"{prefix}sec_{v.code}",
            secrets.token_hex(12),
            work / f"village_{v.code}.sqlite",
            n,
        )
        for n, v in enumerate(registry.villages)
    ]
    publisher = f"{prefix}publisher"
    accounts = [lap.account for lap in laptops] + [publisher]
    plans = [("all at once", len(laptops), "all")]
    if 0 < args.bounded < len(laptops):
        plans.append((f"{args.bounded} at a time", args.bounded, f"b{args.bounded}"))
    runs_planned = [
        (label + (f" #{k + 1}" if args.repeat > 1 else ""), at_once, f"{prefix}{tag}{k}_")
        for k in range(args.repeat)
        for label, at_once, tag in (plans if k % 2 == 0 else plans[::-1])
    ]
    jobs = [
        publishing.replicator_id(v.code, run_prefix)
        for _, _, run_prefix in runs_planned
        for v in registry.villages
    ]
    try:
        async with CouchServer(url) as server:
            start = time.perf_counter()
            await make_accounts(server, laptops)
            print(f"  {len(laptops)} secretary accounts in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        filled = await fill_all(laptops, registry, args)
        print(
            f"  {len(laptops)} laptops filled in {time.perf_counter() - start:.1f} s: "
            f"{filled.docs:,} documents, {filled.scans:,} scans "
            f"({filled.scan_bytes / 1e6:.1f} MB)",
            flush=True,
        )
        peer = find_peer(url)
        runs = []
        for label, at_once, run_prefix in runs_planned:
            print(f"\n{label}:", flush=True)
            try:
                run = await run_in_child(
                    url, registry, laptops, run_prefix, publisher, label, at_once, peer
                )
            finally:
                # The peer holds its databases in memory: each run starts from the same.
                await delete_all(url, run_prefix, jobs=jobs)
            runs.append(run)
            for line in details(run):
                print(line, flush=True)
        return runs
    finally:
        jobs_left, dbs, users = await delete_all(url, prefix, accounts, jobs)
        left = await leftovers(url, prefix, accounts, jobs)
        print(
            f"\ncleaned up at the end: {jobs_left} publishing jobs, {dbs} databases, "
            f"{users} accounts deleted; left on the server: {', '.join(left) or 'nothing'}",
            flush=True,
        )


async def leftovers(url: str, prefix: str, accounts: list[str], jobs: list[str]) -> list[str]:
    """What this benchmark made that is still on the server (nothing, after a cleanup)."""
    async with CouchServer(url) as server:
        names = await server.all_dbs()
        left = [name for name in names if name.startswith(prefix)]
        for db_name, ids in (
            (publishing.REPLICATOR_DB, jobs),
            ("_users", [f"org.couchdb.user:{a}" for a in accounts]),
        ):
            if db_name not in names:
                continue
            store = await server.database(db_name, create=False)
            try:
                rows = (await store.all_docs(keys=ids))["rows"]
            finally:
                await store.close()
            left += [
                f"{db_name}/{row['id']}"
                for row in rows
                if "value" in row and not row["value"].get("deleted")
            ]
        return left


async def fill_all(
    laptops: list[Laptop], registry: county_registry.Registry, args: argparse.Namespace
) -> Filled:
    gate = asyncio.Semaphore(4)
    total = Filled()

    async def one(lap: Laptop, township: str) -> None:
        async with gate:
            got = await fill(lap, township, args.matters, args.scan_every, args.scan_kb)
        total.docs += got.docs
        total.scans += got.scans
        total.scan_bytes += got.scan_bytes

    await asyncio.gather(
        *(
            one(lap, registry.code + v.township)
            for lap, v in zip(laptops, registry.villages, strict=True)
        )
    )
    return total


def _memory_total_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--laptops", type=int, default=200)
    parser.add_argument("--matters", type=int, default=20)
    parser.add_argument("--townships", type=int, default=5)
    parser.add_argument("--bounded", type=int, default=20, help="0: no bounded run")
    parser.add_argument("--scan-every", type=int, default=8)
    parser.add_argument("--scan-kb", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=1, help="each run this many times")
    args = parser.parse_args()
    url = os.environ.get("COUCHDB_URL")
    if not url:
        sys.exit("set COUCHDB_URL, or run under tests/couchpeer.py (see the docstring)")
    url = url.rstrip("/")
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    prefix = f"cunyi_bench_{uuid.uuid4().hex[:6]}_"
    async with CouchServer(url) as server:
        welcome = await server.info()
    print(
        f"county push benchmark: {args.laptops} laptops x {args.matters} matters "
        f"({args.townships} townships), server {welcome.get('vendor_name') or 'CouchDB'} "
        f"{welcome.get('version')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {_memory_total_gb():.0f} GB RAM",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="cunyi-county-push-") as work:
        runs = await bench(args, url, prefix, Path(work))
    print()
    for line in table(runs):
        print(line)
    print(
        f"\npeak RSS of this process (setup, cleanup; each run has its own process): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )
    if any(r.failed or r.check.lost or r.check.duplicated or r.check.altered for r in runs):
        sys.exit(1)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # cleaned up already (the finally blocks ran)
        sys.exit(130)
