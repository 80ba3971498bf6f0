"""Start the CouchDB-protocol peer used by the tests and benchmarks.

The peer is ``pouchdb-server`` (installed by ``make test`` under ``.peer/``),
run in memory on a free port of 127.0.0.1 in a temporary working folder,
with an admin account. When ``COUCHDB_URL`` is already set, that server is
used instead and nothing is started.

As a script it wraps a command::

    python tests/couchpeer.py -- pytest -x

starts the peer, runs the command with ``COUCHDB_URL`` set, and stops the
peer afterwards, also when the command fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PEER_BIN = ROOT / ".peer" / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"
PRELOAD = Path(__file__).resolve().parent / "peer" / "preload.js"
ADMIN = ("admin", "secret")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pouchdb-server exited early with status {proc.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"pouchdb-server did not answer on {url}")


@contextlib.contextmanager
def running_peer() -> Iterator[str]:
    """Yield the admin URL of a CouchDB-protocol server, starting one if needed."""
    existing = os.environ.get("COUCHDB_URL")
    if existing:
        yield existing.rstrip("/")
        return
    if not PEER_BIN.exists():
        raise RuntimeError(
            f"pouchdb-server is not installed at {PEER_BIN}; run `make test` (or `make peer`)"
        )
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="cunyi-peer-")
    log = open(Path(workdir) / "peer.out", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        ["node", "-r", str(PRELOAD), str(PEER_BIN), "-p", str(port), "-o", "127.0.0.1", "-m", "-n"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + "/", proc, time.monotonic() + 30)
        r = httpx.put(f"{base}/_config/admins/{ADMIN[0]}", json=ADMIN[1], timeout=10)
        r.raise_for_status()
        yield f"http://{ADMIN[0]}:{ADMIN[1]}@127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        _report_peer_faults(Path(workdir) / "peer.out")
        shutil.rmtree(workdir, ignore_errors=True)


def _report_peer_faults(path: Path) -> None:
    """Say on stderr how often the peer caught one of its own crashes (see peer/preload.js):
    a request that crashed it was never answered, which explains a client time-out."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return
    faults = [line for line in text.splitlines() if line.startswith("[peer] ")]
    if faults:
        print(f"couchpeer: the peer caught {len(faults)} internal error(s); first: {faults[0][:200]}",
              file=sys.stderr)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: python tests/couchpeer.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    # Turn SIGTERM into an exception so the peer is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with running_peer() as url:
        env = dict(os.environ, COUCHDB_URL=url)
        print(f"couchpeer: CouchDB-protocol peer at {url.split('@')[-1]}", flush=True)
        try:
            return subprocess.call(argv, env=env)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
