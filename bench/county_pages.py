"""Benchmark: the county pages with many villages and staff at once (issue 10, "Scale").

An index of ``--villages`` x ``--matters`` (written as the indexer writes it, from made-up
rows: ``bench/county_index.py``'s ``synthetic_index``), a registry of those villages,
``village-app serve --mode county --no-indexer`` in a subprocess (uvicorn, one process)
and ``--staff`` concurrent clients, each signed in through the peer's ``_session`` as a
county reviewer (every village). Measured in the same run, on the same server:

* ``/healthz``: the same middleware and no work, the ceiling;
* ``/``: every village by township with its figures;
* ``/queue``: the oldest 50 matters waiting for review, of every village;
* ``/dashboard``: five charts with their tables, summed by township;
* ``/villages/{code}``: one village's matters.

Prints p50/p95 per page. Run with the peer (for the sign-in)::

    .venv/bin/python tests/couchpeer.py -- .venv/bin/python bench/county_pages.py \\
        --villages 300 --matters 200 --staff 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from county_index import code_of, synthetic_index  # noqa: E402

from sync.couch_http import split_url  # noqa: E402
from sync.couch_server import CouchServer  # noqa: E402

PASSWORD = "bench-password"


def registry_text(villages: int) -> str:
    codes = [code_of(n) for n in range(villages)]
    county = codes[0][:6]
    townships = sorted({c[6:9] for c in codes})
    parts = [f'[county]\nname = "基准县"\ncode = "{county}"']
    parts += [f'[[townships]]\ncode = "{t}"\nname = "第{t}乡"' for t in townships]
    parts += [
        f'[[villages]]\ncode = "{c}"\nname = "村{c[-4:]}"\ntownship = "{c[6:9]}"' for c in codes
    ]
    return "\n\n".join(parts) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _sign_in(client: httpx.AsyncClient, name: str) -> None:
    login = await client.get("/login")
    token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = await client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"}
    )
    assert answer.status_code in (200, 303), answer.status_code


async def _staff(
    url: str, name: str, paths: list[str], until: float, times: dict[str, list[float]]
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await _sign_in(client, name)
        rng = random.Random(name)
        while time.monotonic() < until:
            path = rng.choice(paths)
            key = "/villages/{code}" if path.startswith("/villages/") else path
            start = time.perf_counter()
            answer = await client.get(path)
            times.setdefault(key, []).append(time.perf_counter() - start)
            assert answer.status_code == 200, (path, answer.status_code)


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--matters", type=int, default=200)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    couch = os.environ["COUCHDB_URL"]
    names = [f"cunyi_test_user_bench_{uuid.uuid4().hex[:8]}" for _ in range(args.staff)]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        started = time.perf_counter()
        await synthetic_index(work / "index", args.villages, args.matters)
        print(
            f"index: {args.villages} villages x {args.matters} matters written in "
            f"{time.perf_counter() - started:.1f} s"
        )
        (work / "county.toml").write_text(registry_text(args.villages), encoding="utf-8")
        async with CouchServer(couch) as server:
            for name in names:  # one account each: sign-ins of one name at once are throttled
                await server.put_user(name, PASSWORD, ["county_reviewer"])
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            log = (work / "serve.log").open("w")
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "village_app.cli",
                    "serve",
                    "--mode",
                    "county",
                    "--couch",
                    couch,
                    "--registry",
                    str(work / "county.toml"),
                    "--index",
                    str(work / "index"),
                    "--data",
                    str(work / "data"),
                    "--no-indexer",
                    "--port",
                    str(port),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                for _ in range(300):
                    try:
                        if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.1)
                codes = [code_of(n) for n in range(0, args.villages, max(1, args.villages // 20))]
                paths = [
                    "/healthz",
                    "/",
                    "/queue",
                    "/dashboard",
                    *(f"/villages/{c}" for c in codes),
                ]
                times: dict[str, list[float]] = {}
                until = time.monotonic() + args.seconds
                await asyncio.gather(*(_staff(url, name, paths, until, times) for name in names))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
                log.close()
                for name in names:
                    await _delete_user(couch, name)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; {args.staff} staff at once "
        f"for {args.seconds:.0f} s; one uvicorn process"
    )
    print(f"{'page':<20} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for key in ("/healthz", "/", "/queue", "/dashboard", "/villages/{code}"):
        values = times.get(key, [])
        print(f"{key:<20} {len(values):>8} {_p(values, 50):>8.1f} {_p(values, 95):>8.1f}")


async def _delete_user(couch: str, name: str) -> None:
    address, _ = split_url(couch, with_db=False)
    async with httpx.AsyncClient(auth=address.auth) as client:
        path = f"{address.base}/_users/org.couchdb.user:{name}"
        found = await client.get(path)
        if found.status_code == 200:
            await client.delete(path, params={"rev": found.json()["_rev"]})


if __name__ == "__main__":
    asyncio.run(main())
