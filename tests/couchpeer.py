"""Start the CouchDB-protocol peer used by the tests and benchmarks.

The peer is ``pouchdb-server`` (installed by ``make test`` under ``.peer/``),
run in memory on a free port of 127.0.0.1 in a temporary working folder,
with an admin account. When ``COUCHDB_URL`` is already set, that server is
used instead and nothing is started.

As a script it wraps a command::

    python tests/couchpeer.py -- pytest -x

starts the peer, runs the command with ``COUCHDB_URL`` set, and stops the
peer afterwards, also when the command fails or is interrupted (SIGINT and
SIGTERM are passed on to the command first, so that a test run deletes its
databases before it ends).

:class:`PeerCleanup` is how the tests leave a server as they found it: every
database they make is named by it (:data:`DB_PREFIX`), deleted at the end of
the test that made it, and swept at the end of the session if still there.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
PEER_BIN = ROOT / ".peer" / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"
PRELOAD = Path(__file__).resolve().parent / "peer" / "preload.js"
ADMIN = ("admin", "secret")

#: Every database the tests make on the peer starts so; the end of a session deletes any
#: that is still there (a crash of an earlier run's included): a user's CouchDB has none
#: of its own named so.
DB_PREFIX = "cunyi_test_"
#: Names that tests made before :data:`DB_PREFIX` (and tests not moved to the fixtures
#: yet): swept too, but only those that appeared during the session, since a user's
#: server may have a ``test_...`` database of its own.
LEGACY_NAME = re.compile(r"(?:test|test_repo|diff)_[0-9a-f]{8,12}(?:\$\(x\)\+y-z)?")
#: User accounts the tests make (``_users``), deleted like the databases.
USER_PREFIX = "cunyi_test_user_"
#: Set by :func:`main` to the ``COUCHDB_URL`` of the peer it started: a throwaway server
#: of the run's own. Parallel test workers (pytest-xdist) then start one peer each instead
#: of sharing it (tests/conftest.py), so that no worker's databases, accounts or
#: end-of-session sweep meet another's; a ``COUCHDB_URL`` of the user's own is shared.
THROWAWAY_ENV = "CUNYI_THROWAWAY_PEER"


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


def _end_with_parent() -> None:
    """In the peer's process before it runs (Linux): SIGTERM it when the process that started
    it ends, however that ends. A test worker of pytest-xdist that is killed (its run stopped
    with SIGTERM) never reaches the ``finally`` below, and the peer, in a session of its own,
    would serve on."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


@contextlib.contextmanager
def running_peer(*, own: bool = False) -> Iterator[str]:
    """Yield the admin URL of a CouchDB-protocol server, starting one if needed (always,
    with ``own``)."""
    existing = os.environ.get("COUCHDB_URL")
    if existing and not own:
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
        preexec_fn=_end_with_parent if sys.platform == "linux" else None,
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


class PeerCleanup:
    """Names the databases and users tests make on a server and deletes them again.

    Synchronous (plain ``httpx``) so that it works from any fixture, async or not, and
    from pytest's teardown after an interruption, when no event loop may be running.
    """

    def __init__(self, url: str) -> None:
        from sync.couch_http import split_url  # here: the script itself needs no sync/

        address, _ = split_url(url, with_db=False)
        self.base = address.base
        self.auth = address.auth
        self.made: dict[str, None] = {}  # database names handed out, in order
        self.users: dict[str, None] = {}
        self.before = set(self.all_dbs())

    def _request(self, method: str, path: str) -> httpx.Response:
        return httpx.request(method, self.base + path, auth=self.auth, timeout=30)

    def all_dbs(self) -> list[str]:
        response = self._request("GET", "/_all_dbs")
        response.raise_for_status()
        names: list[str] = response.json()
        return names

    def db_name(self, tag: str = "", suffix: str = "") -> str:
        """A new database name (not created), registered for deletion."""
        name = f"{DB_PREFIX}{tag}{uuid.uuid4().hex[:12]}{suffix}"
        self.made[name] = None
        return name

    def user_name(self) -> str:
        name = f"{USER_PREFIX}{uuid.uuid4().hex[:8]}"
        self.users[name] = None
        return name

    def create_db(self, name: str) -> None:
        self._request("PUT", "/" + quote(name, safe="")).raise_for_status()

    def delete_db(self, name: str) -> None:
        """Delete ``name`` if it exists (404 is fine: never created, or gone already)."""
        response = self._request("DELETE", "/" + quote(name, safe=""))
        if response.status_code not in (200, 202, 404):
            response.raise_for_status()

    def delete_user(self, name: str) -> None:
        path = "/_users/" + quote(f"org.couchdb.user:{name}", safe="")
        response = self._request("GET", path)
        if response.status_code == 200:
            rev = response.json()["_rev"]
            self._request("DELETE", f"{path}?rev={quote(rev, safe='')}")

    def leftovers(self) -> list[str]:
        """The databases of the suite still on the server."""
        return [
            name
            for name in self.all_dbs()
            if name.startswith(DB_PREFIX)
            or name in self.made
            or (LEGACY_NAME.fullmatch(name) and name not in self.before)
        ]

    def users_left(self) -> list[str]:
        """The users named here that are still in ``_users``, asked in one request (the tests
        delete theirs as they end: a request for each name made the end of a session take
        seconds)."""
        ids = {f"org.couchdb.user:{name}": name for name in self.users}
        if not ids:
            return []
        response = httpx.post(
            self.base + "/_users/_all_docs",
            json={"keys": list(ids)},
            auth=self.auth,
            timeout=30,
        )
        if response.status_code != 200:
            return list(self.users)  # delete_user finds out for each
        return [
            ids[row["key"]]
            for row in response.json()["rows"]
            if row.get("key") in ids and "value" in row and not row["value"].get("deleted")
        ]

    def sweep(self) -> list[str]:
        """Delete every leftover database and user of the suite; returns the databases."""
        left = self.leftovers()
        for name in left:
            self.delete_db(name)
        for user in self.users_left():
            self.delete_user(user)
        return left


def _report_peer_faults(path: Path) -> None:
    """Say on stderr how often the peer caught one of its own crashes (see peer/preload.js):
    a request that crashed it was never answered, which explains a client time-out."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return
    faults = [line for line in text.splitlines() if line.startswith("[peer] ")]
    if faults:
        print(
            f"couchpeer: the peer caught {len(faults)} internal error(s); first: {faults[0][:200]}",
            file=sys.stderr,
        )


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: python tests/couchpeer.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    # Turn SIGTERM into an exception so the peer is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = not os.environ.get("COUCHDB_URL")
    with running_peer() as url:
        env = dict(os.environ, COUCHDB_URL=url)
        if started:
            env[THROWAWAY_ENV] = url
        print(f"couchpeer: CouchDB-protocol peer at {url.split('@')[-1]}", flush=True)
        child = subprocess.Popen(argv, env=env)
        try:
            return child.wait()
        except (KeyboardInterrupt, SystemExit) as stop:
            # Let the command end by itself: pytest then tears its fixtures down and deletes
            # the databases it made (tests/conftest.py). Ctrl-C reached it already (same
            # process group; a second one would cut its teardown short); SIGTERM is passed on.
            if isinstance(stop, SystemExit):
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return 130 if isinstance(stop, KeyboardInterrupt) else 143


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
