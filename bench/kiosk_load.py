"""Benchmark: the kiosk's home page, as a village hall's screen and the phones around it load it.

A kiosk data folder made from the demo village (its public twins, signed, pulled into the
kiosk's store as ``village-app kiosk pull`` does), served by ``village-app serve --mode
kiosk`` (uvicorn, one process) in a subprocess. Measured against the same server:

* the first load of the home page: every request a browser makes for it (the page, its CSS
  and its script, read from the HTML as the browser would) and the bytes on the wire,
  headers included (no compression: uvicorn sends none);
* 20 concurrent viewers (httpx, async) loading the home page for a few seconds: p50/p95
  latency and requests per second, beside ``/healthz`` (the same stack, no work) as the
  ceiling.

Run::

    .venv/bin/python bench/kiosk_load.py [--clients 20] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from kiosk.kioskdata import demo_kiosk  # noqa: E402

LIMIT = 60 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wire_bytes(response: httpx.Response) -> int:
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
    return len(head.encode("latin-1")) + len(response.content)


def first_load(base: str) -> tuple[int, list[tuple[str, int]]]:
    """The home page and what it asks for (stylesheets, scripts, images), in bytes."""
    with httpx.Client(base_url=base) as client:
        page = client.get("/")
        loads = [("/", _wire_bytes(page))]
        for ref in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text):
            loads.append((ref, _wire_bytes(client.get(ref))))
    return sum(n for _, n in loads), loads


async def viewers(base: str, path: str, clients: int, seconds: float) -> list[float]:
    times: list[float] = []
    stop = time.monotonic() + seconds

    async def viewer() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = await client.get(path)
                response.raise_for_status()
                times.append(time.perf_counter() - start)

    await asyncio.gather(*(viewer() for _ in range(clients)))
    return times


def _line(name: str, times: list[float], seconds: float) -> str:
    ordered = sorted(times)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    return f"{name:10s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {len(times) / seconds:7.1f} req/s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "kiosk"
        village = asyncio.run(demo_kiosk(folder))
        port = _free_port()
        command = [sys.executable, "-m", "village_app.cli", "serve", "--mode", "kiosk"]
        command += ["--data", str(folder), "--no-pull", "--port", str(port)]
        server = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            total, loads = first_load(base)
            print(f"kiosk of {village}: first load of the home page")
            for ref, n in loads:
                print(f"  {n:7d} B  {ref}")
            verdict = "within" if total <= LIMIT else "OVER"
            print(f"  {total:7d} B  in all ({verdict} the {LIMIT // 1024} KB budget)")
            print(f"{args.clients} concurrent viewers, {args.seconds:.0f} s each:")
            for name, path in (("/healthz", "/healthz"), ("home", "/")):
                times = asyncio.run(viewers(base, path, args.clients, args.seconds))
                print("  " + _line(name, times, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0 if total <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
