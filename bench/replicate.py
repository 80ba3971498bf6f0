"""Benchmark: replication, Cunyi against PouchDB's replicator and the peer's own.

Data: 10,000 record-shaped documents (``bench/store.py``'s ``make_docs``, about
1 KB of Chinese text each) plus 100 documents with a ~200 KB binary attachment.

1. Loopback: push an embedded store to a fresh peer database, then pull that
   database into a fresh embedded store. The same two transfers with PouchDB's
   replicator (Node, ``pouchdb`` + the memory adapter, ``bench/pouchdb_replicate.js``),
   and the peer copying the same database with its own ``POST /_replicate``.
   Every client talks to the peer through a counting relay (``bench/linkproxy.py``),
   so bytes are counted on the wire, HTTP headers included, for all alike. Each
   replicator runs in a process of its own (Cunyi as this script's ``--child``, PouchDB
   in Node), the relay in this one, and each times itself from when both sides are open.
2. Rural link: laptop -> the relay at ~1 Mbit/s each way and 300 ms round trip ->
   Caddy with the county's ``deploy/caddy/couch.caddy`` (TLS from its internal CA,
   answers compressed by Caddy, the peer asked for none, as Apache CouchDB sends none)
   -> the peer. A village's first sync of 2,000 documents, push and pull, Cunyi and
   PouchDB 9, each against the physical floor: bytes on the wire in the busier
   direction (as the relay counted them, so compression, TLS and headers included) /
   bandwidth + the round trips no replication can avoid (push: TCP and TLS handshakes,
   read the target's checkpoint, ask what is missing, send it, write the checkpoint:
   6; pull: the handshakes, read the source's checkpoint, read the feed with the
   bodies, write the checkpoint: 5).

Run with the peer::

    .venv/bin/python tests/couchpeer.py -- .venv/bin/python bench/replicate.py
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from caddy import running_caddy  # noqa: E402
from linkproxy import LinkProxy  # noqa: E402
from store import make_docs  # noqa: E402

from sync import open_database, replicate  # noqa: E402
from sync.couch_server import CouchServer  # noqa: E402
from sync.database import Database  # noqa: E402

RURAL_BANDWIDTH = 125_000  # bytes/s: 1 Mbit/s
RURAL_RTT = 0.3
#: Round trips no replication avoids. Push: TCP and TLS handshakes, read the target's
#: checkpoint, ask what is missing, send it, write the checkpoint. Pull: the handshakes,
#: read the source's checkpoint, read the feed with the bodies, write the checkpoint.
PROTOCOL_ROUND_TRIPS = {"push": 6, "pull": 5}
#: PouchDB's default batch size, for its runs on the slow link.
POUCHDB_BATCH = 100
NODE_SCRIPT = ROOT / "bench" / "pouchdb_replicate.js"
#: First argument of this script run as one Cunyi replication (see :func:`cunyi`).
CHILD = "--child"


@dataclass
class Run:
    transfer: str
    tool: str
    seconds: float
    docs: int
    requests: int | None
    wire_up: int | None  # bytes client -> peer
    wire_down: int | None  # bytes peer -> client

    def row(self) -> str:
        def mb(n: int | None) -> str:
            return "n/a" if n is None else f"{n / 1e6:.2f}"

        reqs = "n/a" if self.requests is None else str(self.requests)
        rate = self.docs / self.seconds if self.seconds else 0
        return (
            f"| {self.transfer} | {self.tool} | {self.seconds:.2f} | {rate:,.0f} | {reqs} | "
            f"{mb(self.wire_up)} | {mb(self.wire_down)} |"
        )


def attachment_docs(n: int, size: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "_id": f"evidence:V{i % 20:03d}:{uuid.UUID(int=rng.getrandbits(128)).hex}",
            "type": "evidence",
            "kind": "photo",
            "caption": f"公示栏照片 {i}",
            "_attachments": {
                "photo.jpg": {
                    "content_type": "image/jpeg",
                    "data": base64.b64encode(rng.randbytes(size)).decode(),
                }
            },
        }
        for i in range(n)
    ]


async def ingest(db: Database, docs: list[dict[str, Any]]) -> None:
    for i in range(0, len(docs), 500):
        await db.bulk_docs(docs[i : i + 500])


async def run_child(
    transfer: str,
    tool: str,
    argv: list[str],
    proxy: LinkProxy,
    env: dict[str, str] | None = None,
) -> Run:
    """One replicator in a process of its own, through ``proxy``: it prints one JSON line
    (seconds, docs written, requests), timed by itself; the relay, in this process, then
    costs neither replicator its own CPU."""
    proxy.reset_counts()
    child = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await child.communicate()
    if child.returncode != 0 or not out.strip():
        raise RuntimeError(f"{tool} failed: {err.decode()[-2000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return Run(
        transfer,
        tool,
        result["seconds"],
        result["docs_written"],
        result["requests"],
        proxy.up.bytes,
        proxy.down.bytes,
    )


async def cunyi(transfer: str, source: str, target: str, proxy: LinkProxy, batch: int) -> Run:
    """Cunyi's replicator as this script's ``--child``, as PouchDB's runs in Node."""
    argv = [sys.executable, __file__, CHILD, source, target, str(batch)]
    return await run_child(transfer, f"Cunyi (batch {batch})", argv, proxy)


async def child_run(source: str, target: str, batch: int) -> None:
    """One replication, timed from when both sides are open (so a first connection's
    handshakes are outside the clock, as in the PouchDB script); one JSON line out."""
    src, tgt = await open_database(source), await open_database(target)
    started = time.perf_counter()
    rep = await replicate(src, tgt, batch_size=batch)
    seconds = time.perf_counter() - started
    await src.close()
    await tgt.close()
    counters = rep.counters
    print(
        json.dumps(
            {
                "seconds": seconds,
                "docs_written": counters.docs_written,
                "requests": counters.requests,
            }
        )
    )


async def pouchdb(
    transfer: str,
    mode: str,
    docs_file: str,
    remote: str,
    proxy: LinkProxy,
    batch: int,
    env: dict[str, str] | None = None,
) -> Run:
    argv = ["node", str(NODE_SCRIPT), mode, docs_file, remote, str(batch)]
    return await run_child(transfer, f"PouchDB 9 (batch {batch})", argv, proxy, env)


async def peer_replicate(server: CouchServer, couch_url: str, source: str, target: str) -> Run:
    await server.create_db(target)
    started = time.perf_counter()
    answer = await server.replicate(f"{couch_url}/{source}", f"{couch_url}/{target}")
    seconds = time.perf_counter() - started
    written = int(answer.get("docs_written", 0))
    return Run("peer db -> peer db", "peer POST /_replicate", seconds, written, None, None, None)


def print_table(runs: list[Run]) -> None:
    print("| transfer | replicator | seconds | docs/s | HTTP requests | MB up | MB down |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for run in runs:
        print(run.row())


def ratio(a: float | None, b: float | None) -> str:
    return "n/a" if not a or not b else f"{a / b:.2f}x"


async def loopback(
    couch_url: str,
    tmp: Path,
    server: CouchServer,
    n_docs: int,
    n_atts: int,
    batch: int,
    pouch_batches: list[int],
) -> list[Run]:
    docs = make_docs(n_docs) + attachment_docs(n_atts, 200_000)
    tmp.mkdir(parents=True, exist_ok=True)
    laptop_file = str(tmp / "laptop.sqlite")
    laptop = await open_database(laptop_file)
    await ingest(laptop, docs)
    await laptop.close()
    docs_file = tmp / "docs.ndjson"
    with docs_file.open("w") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    del docs
    runs: list[Run] = []
    tag = uuid.uuid4().hex[:6]
    async with LinkProxy(couch_url) as relay:
        county = f"{relay.url}/bench_push_cunyi_{tag}"
        await server.create_db(f"bench_push_cunyi_{tag}")
        runs.append(await cunyi("laptop -> peer (push)", laptop_file, county, relay, batch))
        for pouch_batch in pouch_batches:
            name = f"bench_push_pouch_{pouch_batch}_{tag}"
            await server.create_db(name)
            runs.append(
                await pouchdb(
                    "laptop -> peer (push)",
                    "push",
                    str(docs_file),
                    f"{relay.url}/{name}",
                    relay,
                    pouch_batch,
                )
            )
            await server.delete_db(name)
        runs.append(
            await peer_replicate(server, couch_url, f"bench_push_cunyi_{tag}", f"bench_copy_{tag}")
        )
        fresh = str(tmp / "fresh.sqlite")
        runs.append(await cunyi("peer -> fresh laptop (pull)", county, fresh, relay, batch))
        for pouch_batch in pouch_batches:
            runs.append(
                await pouchdb(
                    "peer -> fresh laptop (pull)",
                    "pull",
                    "-",
                    f"{relay.url}/bench_push_cunyi_{tag}",
                    relay,
                    pouch_batch,
                )
            )
    for name in (f"bench_push_cunyi_{tag}", f"bench_copy_{tag}"):
        await server.delete_db(name)
    return runs


async def rural(
    couch_url: str,
    tmp: Path,
    server: CouchServer,
    n_docs: int,
    batches: list[int],
    with_pouchdb: bool,
) -> list[tuple[Run, float]]:
    """Laptop -> the slow link -> Caddy (TLS, gzip; deploy/caddy/) -> the peer."""
    laptop_file = str(tmp / "village.sqlite")
    laptop = await open_database(laptop_file)
    docs = make_docs(n_docs, seed=23)
    await ingest(laptop, docs)
    await laptop.close()
    docs_file = tmp / "village.ndjson"
    docs_file.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    out: list[tuple[Run, float]] = []
    with running_caddy(couch_url) as caddy:
        os.environ["COUCHDB_CA_FILE"] = caddy.ca_file  # read by each client made from now
        node_env = {"NODE_EXTRA_CA_CERTS": caddy.ca_file}
        async with LinkProxy(caddy.url, rtt=RURAL_RTT, bandwidth=RURAL_BANDWIDTH) as link:
            for batch in batches:
                name = f"bench_rural_{uuid.uuid4().hex[:6]}"
                await server.create_db(name)
                county = f"{link.url}/{name}"
                push = await cunyi("village first sync, push", laptop_file, county, link, batch)
                out.append((push, floor(push, "push")))
                fresh = str(tmp / f"new-laptop-{batch}.sqlite")
                pull = await cunyi("village first sync, pull", county, fresh, link, batch)
                out.append((pull, floor(pull, "pull")))
                await server.delete_db(name)
            if with_pouchdb:
                name = f"bench_rural_pouch_{uuid.uuid4().hex[:6]}"
                await server.create_db(name)
                for mode in ("push", "pull"):
                    run = await pouchdb(
                        f"village first sync, {mode}",
                        mode,
                        str(docs_file),
                        f"{link.url}/{name}",
                        link,
                        POUCHDB_BATCH,
                        env=node_env,
                    )
                    out.append((run, floor(run, mode)))
                await server.delete_db(name)
    return out


def floor(run: Run, direction: str) -> float:
    """Bytes on the wire one way over the bandwidth, plus the unavoidable round trips
    (:data:`PROTOCOL_ROUND_TRIPS`)."""
    busier = max(run.wire_up or 0, run.wire_down or 0)
    return busier / RURAL_BANDWIDTH + PROTOCOL_ROUND_TRIPS[direction] * RURAL_RTT


def best_of(runs: list[Run]) -> list[Run]:
    """The fastest run of each (transfer, replicator), in first-seen order."""
    best: dict[tuple[str, str], Run] = {}
    for run in runs:
        key = (run.transfer, run.tool)
        if key not in best or run.seconds < best[key].seconds:
            best[key] = run
    return list(best.values())


def print_loopback(runs: list[Run], args: argparse.Namespace) -> None:
    print(
        f"## Loopback: {args.docs:,} records + {args.attachments} x 200 KB attachments "
        f"(fastest of {args.repeat})\n"
    )
    print_table(runs)
    peer = next(r for r in runs if r.tool.startswith("peer"))
    print()
    for transfer in ("laptop -> peer (push)", "peer -> fresh laptop (pull)"):
        ours = next(r for r in runs if r.transfer == transfer and r.tool.startswith("Cunyi"))
        for theirs in (r for r in runs if r.transfer == transfer and r.tool.startswith("Pouch")):
            print(
                f"- {transfer}: {theirs.tool} takes {ratio(theirs.seconds, ours.seconds)} "
                f"{ours.tool}'s time and {ratio(theirs.requests, ours.requests)} its requests"
            )
        print(
            f"- {transfer}: the peer's own /_replicate takes "
            f"{ratio(peer.seconds, ours.seconds)} {ours.tool}'s time"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--attachments", type=int, default=100)
    parser.add_argument(
        "--batch-size", type=int, default=500, help="Cunyi's (default: its own, CouchDB's 500)"
    )
    parser.add_argument(
        "--pouchdb-batches",
        default="100,500",
        help="PouchDB's batch sizes on loopback (its default is 100)",
    )
    parser.add_argument("--rural-docs", type=int, default=2_000)
    parser.add_argument(
        "--rural-batches", default="100,500", help="batch sizes to try on the slow link"
    )
    parser.add_argument("--skip-rural", action="store_true")
    parser.add_argument(
        "--skip-pouchdb-rural", action="store_true", help="no PouchDB runs on the slow link"
    )
    parser.add_argument("--skip-loopback", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="loopback runs; the fastest of each is shown (the machine is shared)",
    )
    args = parser.parse_args()
    couch_url = os.environ.get("COUCHDB_URL")
    if not couch_url:
        sys.exit("COUCHDB_URL is not set: run through tests/couchpeer.py")
    print(
        f"# Replication benchmark ({platform.python_version()}, {os.cpu_count()} cores, "
        f"{platform.machine()})\n"
    )
    with tempfile.TemporaryDirectory(prefix="cunyi-bench-") as tmpdir:
        tmp = Path(tmpdir)
        async with CouchServer(couch_url) as server:
            if not args.skip_loopback:
                runs: list[Run] = []
                for i in range(args.repeat):
                    runs += await loopback(
                        couch_url,
                        tmp / f"run{i}",
                        server,
                        args.docs,
                        args.attachments,
                        args.batch_size,
                        [int(b) for b in args.pouchdb_batches.split(",")],
                    )
                print_loopback(best_of(runs), args)
            if args.skip_rural:
                return
            batches = [int(b) for b in args.rural_batches.split(",")]
            print(
                f"\n## Rural link: {RURAL_BANDWIDTH * 8 / 1e6:.0f} Mbit/s each way, "
                f"{RURAL_RTT * 1000:.0f} ms round trip, through Caddy (TLS, gzip), "
                f"{args.rural_docs:,} records\n"
            )
            results = await rural(
                couch_url, tmp, server, args.rural_docs, batches, not args.skip_pouchdb_rural
            )
            print(
                "| transfer | replicator | seconds | floor s | seconds / floor "
                "| HTTP requests | MB up | MB down |"
            )
            print("|---|---|---:|---:|---:|---:|---:|---:|")
            for run, low in results:
                print(
                    f"| {run.transfer} | {run.tool} | {run.seconds:.1f} | {low:.1f} | "
                    f"{run.seconds / low:.2f} | {run.requests} | "
                    f"{(run.wire_up or 0) / 1e6:.2f} | {(run.wire_down or 0) / 1e6:.2f} |"
                )


if __name__ == "__main__":
    if sys.argv[1:2] == [CHILD]:
        asyncio.run(child_run(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        asyncio.run(main())
