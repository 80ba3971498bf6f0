"""Benchmark: floods of anonymous requests against a real ``village-app serve``.

Each server is ``village-app serve`` (one uvicorn process) in a subprocess over a small
village; the floods come from this process over loopback.

(a) Memory: the server's RSS just before, and its peak RSS during, N concurrent POSTs of
a 10 MB form to ``/login`` (the peak is ``VmHWM`` in ``/proc/<pid>/status``, reset through
``/proc/<pid>/clear_refs`` just before the flood; a fresh server for each row):

* ``anonymous``: from a session that opened the login page (cookie and CSRF token, as a
  browser's); now refused before a byte is read;
* ``form``: the same requests from a signed-in session. A signed-in body may be as large as
  an attachment; the CSRF check used to read it whole to find its token (then the login
  handler parsed it);
* ``upload``: a signed-in plain (non-htmx) form as the stage forms send it: multipart, the
  ``csrf_token`` field first, then a 10 MB scan, posted to ``/lang``, whose handler parses
  the form (the scan spooled to disk by Starlette's parser) and answers 303;
* ``upload-token-last``: the same with the token after the scan (a form that puts its
  fields in another order): the check must read the whole body to find the token.

(b) Responsiveness: ``/healthz`` latency, one request at a time, on one server, at rest
and then during floods sent from another process, with random usernames at the app's own
scrypt cost (n=2**14). Before the hash moved off the event loop, 200 such logins held
``/healthz`` for up to 8.4 s. The floods:

* a burst: C logins sent at once, probed until all are answered (the report's case);
* C clients opening the login page as fast as they are answered: the same page rendered,
  no hash; the baseline for what C busy clients cost the one event loop anyway;
* C clients sending logins as fast as they are answered.

Linux only (``/proc``). Run::

    .venv/bin/python bench/flood.py [--posts 60,150] [--login-clients 200] [--seconds 8]
                                    [--cases anonymous,form,upload,upload-token-last]
                                    [--baseline DIR]

(``--posts ''`` skips (a), ``--login-clients 0`` skips (b); ``--baseline DIR`` measures a
checkout of an earlier commit too.)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sync  # noqa: E402
from village_app import accounts  # noqa: E402

VILLAGE = "530102003004"
USER, PASSWORD = "bench", "bench-password"
MB = 1024 * 1024
_CHUNK = b"a" * 65536


@dataclass(frozen=True)
class Server:
    base: str
    port: int
    pid: int

    def peak_rss_mb(self) -> float:
        return _status_kb(self.pid, "VmHWM") / 1024

    def rss_mb(self) -> float:
        return _status_kb(self.pid, "VmRSS") / 1024


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


async def _village(data_dir: Path) -> None:
    db = await sync.open_database(str(data_dir / f"{VILLAGE}.sqlite"))
    try:
        await accounts.add_user(db, USER, PASSWORD, village=VILLAGE)
    finally:
        await db.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(data_dir: Path, code: Path) -> Iterator[Server]:
    """``village-app serve`` from the checkout ``code`` over ``data_dir``."""
    port = _free_port()
    # The app's own scrypt cost, whatever the calling environment says.
    env = {k: v for k, v in os.environ.items() if k != accounts.SCRYPT_N_ENV}
    env["PYTHONPATH"] = str(code)
    process = subprocess.Popen(
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
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield Server(base, port, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def _cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def _anonymous_session(server: Server) -> tuple[str, str]:
    """The cookie and token of a session that opened the login page."""
    with httpx.Client(base_url=server.base) as client:
        token = _token(client.get("/login").text)
        return _cookie_header(client), token


def _signed_in_session(server: Server) -> tuple[str, str]:
    """The cookie and form token of a signed-in session."""
    with httpx.Client(base_url=server.base) as client:
        token = _token(client.get("/login").text)
        answer = client.post(
            "/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.status_code
        return _cookie_header(client), _token(client.get("/").text)


async def _post(port: int, head: bytes, prefix: bytes, size: int, suffix: bytes = b"") -> str:
    """One POST over a raw connection: the head and ``prefix``, then ``size`` bytes as fast
    as the server takes them, then ``suffix``; the status, or how the server ended the
    connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.ensure_future(reader.readline())
    try:
        try:
            writer.write(head + prefix)
            left = size
            while left and not answer.done():
                piece = _CHUNK[: min(left, len(_CHUNK))]
                writer.write(piece)
                await writer.drain()
                left -= len(piece)
            if not answer.done():
                writer.write(suffix)
                await writer.drain()
        except ConnectionError:
            pass  # answered and closed before the body was all sent
        try:
            status_line = await asyncio.wait_for(answer, 120)
        except ConnectionError:
            return "reset"
        except TimeoutError:
            return "no answer"
        return status_line.split(b" ")[1].decode() if status_line else "closed"
    finally:
        answer.cancel()
        writer.close()


def _head(path: str, cookie: str, content_type: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


_BOUNDARY = "----cunyi-flood"


def _part(name: str, value: str = "", filename: str | None = None) -> bytes:
    """A multipart part's head (and, without a file name, its value and end)."""
    if filename is None:
        return f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    return (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()


def _shape(case: str, token: str) -> tuple[str, str, bytes, bytes]:
    """Where a case posts, its content type, and what goes before and after the filler."""
    if case in ("anonymous", "form"):
        prefix = f"csrf_token={token}&username=someone&password=".encode()
        return "/login", "application/x-www-form-urlencoded", prefix, b""
    multipart = f"multipart/form-data; boundary={_BOUNDARY}"
    fields = _part("lang", "zh_CN") + _part("next", "/")
    end = f"--{_BOUNDARY}--\r\n".encode()
    if case == "upload":
        prefix = _part("csrf_token", token) + fields + _part("scan", filename="scan.pdf")
        return "/lang", multipart, prefix, b"\r\n" + end
    assert case == "upload-token-last", case
    prefix = fields + _part("scan", filename="scan.pdf")
    return "/lang", multipart, prefix, b"\r\n" + _part("csrf_token", token) + end


async def _flood_10mb(
    server: Server, case: str, cookie: str, token: str, posts: int, size: int
) -> Counter[str]:
    path, content_type, prefix, suffix = _shape(case, token)
    head = _head(path, cookie, content_type, len(prefix) + size + len(suffix))
    return Counter(
        await asyncio.gather(
            *(_post(server.port, head, prefix, size, suffix) for _ in range(posts))
        )
    )


@dataclass
class MemoryRow:
    checkout: str
    case: str
    posts: int
    answers: Counter[str]
    before_mb: float
    peak_mb: float


#: The cases of (a), each with how its session is made (see the module's docstring).
CASES: dict[str, Callable[[Server], tuple[str, str]]] = {
    "anonymous": _anonymous_session,
    "form": _signed_in_session,
    "upload": _signed_in_session,
    "upload-token-last": _signed_in_session,
}


def _memory(
    checkout: str,
    code: Path,
    data_dir: Path,
    post_counts: list[int],
    size: int,
    cases: list[str],
) -> list[MemoryRow]:
    rows: list[MemoryRow] = []
    for posts in post_counts:
        for case in cases:
            with _serve(data_dir, code) as server:
                cookie, token = CASES[case](server)
                before = server.rss_mb()
                Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
                answers = asyncio.run(_flood_10mb(server, case, cookie, token, posts, size))
                rows.append(MemoryRow(checkout, case, posts, answers, before, server.peak_rss_mb()))
    return rows


@dataclass
class Latency:
    checkout: str
    name: str
    latencies: list[float]
    answers: Counter[str]

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:  # a server held still long enough answers once or twice
            return max(self.latencies) * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


async def _probe(base: str, stop: Callable[[], bool], latencies: list[float]) -> None:
    """``/healthz`` one request at a time until ``stop()``; at least one request."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while True:
            began = time.perf_counter()
            response = await client.get("/healthz")
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"/healthz: {response.status_code}")
            if stop():
                return


def _flood(
    base: str,
    cookie: str,
    token: str,
    kind: str,
    clients: int,
    started: EventType,
    stop: EventType,
    answers: Queue[dict[str, int]],
) -> None:
    """In a process of its own, so that the probe's timings are not the flood's client's:
    ``clients`` at once, sending logins with random names (``kind="logins"``), or opening
    the login page (``"pages"``: the same page rendered, no hash), until ``stop``; or each
    sending one login and ending (``"burst"``)."""

    async def run() -> Counter[str]:
        counts: Counter[str] = Counter()
        cookies = dict(pair.split("=", 1) for pair in cookie.split("; "))
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(
            base_url=base, cookies=cookies, timeout=300, limits=limits
        ) as client:

            async def one() -> None:
                if kind == "pages":
                    status = (await client.get("/login")).status_code
                else:
                    name = f"guess-{secrets.token_hex(6)}"
                    data = {"username": name, "password": "wrong-password", "csrf_token": token}
                    status = (await client.post("/login", data=data)).status_code
                counts[str(status)] += 1
                if sum(counts.values()) >= min(clients, 20):
                    started.set()

            async def client_loop() -> None:
                await one()
                while kind != "burst" and not stop.is_set():
                    await one()

            loops = [asyncio.create_task(client_loop()) for _ in range(clients)]
            if kind == "burst":
                started.set()  # the probe runs while the burst is answered
            await asyncio.gather(*loops)
        return counts

    answers.put(dict(asyncio.run(run())))


def _under_flood(
    checkout: str, server: Server, kind: str, name: str, clients: int, seconds: float
) -> Latency:
    cookie, token = _anonymous_session(server)
    context = multiprocessing.get_context("spawn")
    started, stop, answers = context.Event(), context.Event(), context.Queue()
    flood = context.Process(
        target=_flood, args=(server.base, cookie, token, kind, clients, started, stop, answers)
    )
    flood.start()
    started.wait()
    latencies: list[float] = []
    if kind == "burst":
        asyncio.run(
            _probe(server.base, lambda: not flood.is_alive() or not answers.empty(), latencies)
        )
    else:
        deadline = time.perf_counter() + seconds
        asyncio.run(_probe(server.base, lambda: time.perf_counter() >= deadline, latencies))
        stop.set()
    counts = Counter(answers.get())
    flood.join()
    return Latency(checkout, name, latencies, counts)


def _responsiveness(
    checkout: str, code: Path, data_dir: Path, clients: int, seconds: float
) -> list[Latency]:
    with _serve(data_dir, code) as server:
        rest: list[float] = []
        deadline = time.perf_counter() + seconds
        asyncio.run(_probe(server.base, lambda: time.perf_counter() >= deadline, rest))
        floods = (
            ("burst", f"{clients} logins sent at once (the report's case)"),
            ("pages", f"{clients} clients opening the login page (no hash)"),
            ("logins", f"{clients} clients sending logins"),
        )
        return [
            Latency(checkout, "at rest", rest, Counter()),
            *(
                _under_flood(checkout, server, kind, name, clients, seconds)
                for kind, name in floods
            ),
        ]


def _answers(counter: Counter[str]) -> str:
    return ", ".join(f"{n} × {status}" for status, n in sorted(counter.items())) or "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--posts", default="60,150", help="concurrent 10 MB posts per flood (comma-separated)"
    )
    parser.add_argument("--size-mb", type=int, default=10)
    parser.add_argument(
        "--cases", default=",".join(CASES), help="the cases of (a), comma-separated"
    )
    parser.add_argument("--login-clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a checkout of an earlier commit (git worktree add DIR REV): measured the same way "
        "in the same run, for before/after figures",
    )
    args = parser.parse_args()
    post_counts = [int(n) for n in args.posts.split(",") if n]
    cases = [c for c in args.cases.split(",") if c]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))} (known: {', '.join(CASES)})")
    checkouts = [("this checkout", ROOT), *([("baseline", args.baseline)] if args.baseline else [])]

    memory: list[MemoryRow] = []
    latency: list[Latency] = []
    with tempfile.TemporaryDirectory(prefix="cunyi-flood-") as tmp:
        data_dir = Path(tmp)
        asyncio.run(_village(data_dir))
        for checkout, code in checkouts:
            memory += _memory(checkout, code, data_dir, post_counts, args.size_mb * MB, cases)
        for checkout, code in checkouts if args.login_clients else []:
            latency += _responsiveness(checkout, code, data_dir, args.login_clients, args.seconds)

    if args.baseline:
        print(f"\nbaseline: {args.baseline}")
    if memory:
        print(
            f"\n(a) server RSS, {args.size_mb} MB bodies posted at once, a fresh server per row\n"
        )
        print(
            "| server | session | posts | answers | RSS before MB | peak RSS MB | growth MB | growth per post MB |"
        )
        print("|---|---|---:|---|---:|---:|---:|---:|")
        for row in memory:
            growth = row.peak_mb - row.before_mb
            print(
                f"| {row.checkout} | {row.case} | {row.posts} | {_answers(row.answers)} | {row.before_mb:.0f} "
                f"| {row.peak_mb:.0f} | {growth:.0f} | {growth / row.posts:.1f} |"
            )

    if not latency:
        return 0
    print(
        f"\n(b) /healthz one request at a time; floods from another process, random usernames, the\n"
        f"app's scrypt cost; {args.seconds:.0f} s each but the burst (probed until it is answered)\n"
    )
    print(
        "| server | /healthz while | requests | p50 ms | p99 ms | max ms | p99 vs rest | flood answered |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for checkout, _ in checkouts:
        rows = [r for r in latency if r.checkout == checkout]
        rest = rows[0]
        for r in rows:
            print(
                f"| {r.checkout} | {r.name} | {len(r.latencies)} | {r.percentile(50):.1f} "
                f"| {r.percentile(99):.1f} | {max(r.latencies) * 1000:.1f} "
                f"| {r.percentile(99) / rest.percentile(99):.1f}x | {_answers(r.answers)} |"
            )
    load = os.getloadavg()
    print(
        f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
