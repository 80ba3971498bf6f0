"""Shared fixtures.

``couch_url`` is the admin URL of the CouchDB-protocol peer: ``COUCHDB_URL``
when set (``make test`` starts pouchdb-server and sets it; point it at an
Apache CouchDB 3.x to run the same suite there), otherwise a peer this
session starts itself.

A test run leaves the peer as it found it. Every database a test makes there
takes its name from ``couch_db_url`` / ``new_couch_db_name`` (or the store
suites' ``make_db``, which uses them): the test's teardown deletes it, also
when the test failed, and the end of the session deletes any database of the
suite that is still there (``PeerCleanup.sweep`` in couchpeer.py), also after
Ctrl-C or SIGTERM. User accounts from ``new_couch_user_name`` go the same way.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import THROWAWAY_ENV, PeerCleanup, running_peer

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ("pytester",)

_CLEANUP = pytest.StashKey[PeerCleanup]()


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (a CI time-out, `kill`) would end the process with no teardown at all and
    # leave the databases behind; as KeyboardInterrupt, pytest tears every fixture down.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it at once
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def couch_url(request: pytest.FixtureRequest) -> Iterator[str]:
    # A pytest-xdist worker (``make test`` runs two) on the throwaway peer of
    # couchpeer.py starts a peer of its own: see couchpeer.THROWAWAY_ENV.
    shared = os.environ.get("COUCHDB_URL")
    worker = hasattr(request.config, "workerinput")
    own = bool(worker and shared and os.environ.get(THROWAWAY_ENV) == shared)
    with running_peer(own=own) as url:
        if own:
            os.environ["COUCHDB_URL"] = os.environ[THROWAWAY_ENV] = url  # for subprocesses
        os.environ.setdefault("COUCHDB_URL", url)
        cleanup = PeerCleanup(url)
        request.config.stash[_CLEANUP] = cleanup
        try:
            yield url
        finally:
            try:
                left = cleanup.sweep()
            except httpx.HTTPError as exc:
                print(
                    f"\nconftest: could not delete the tests' databases on the peer: {exc!r}",
                    file=sys.stderr,
                )
                left = []
            if left:
                print(
                    f"\nconftest: deleted {len(left)} database(s) the tests left on the peer: "
                    f"{', '.join(left[:5])}{' ...' if len(left) > 5 else ''}",
                    file=sys.stderr,
                )


@pytest.fixture(scope="session")
def peer_cleanup(couch_url: str, request: pytest.FixtureRequest) -> PeerCleanup:
    """The session's record of what the tests made on the peer (see couchpeer.PeerCleanup)."""
    return request.config.stash[_CLEANUP]


@pytest.fixture
def new_couch_db_name(peer_cleanup: PeerCleanup) -> Iterator[Callable[..., str]]:
    """Makes database names for the peer (``make(tag="", suffix="")``), not created; each
    one a test created is deleted at its teardown, whatever the outcome."""
    made: list[str] = []

    def make(tag: str = "", suffix: str = "") -> str:
        made.append(peer_cleanup.db_name(tag, suffix))
        return made[-1]

    yield make
    for name in made:
        peer_cleanup.delete_db(name)


@pytest.fixture
def couch_db_url(couch_url: str, new_couch_db_name: Callable[..., str]) -> str:
    """The URL of a fresh, not yet created, database on the peer, deleted at teardown."""
    return f"{couch_url}/{new_couch_db_name()}"


@pytest.fixture
def new_couch_user_name(peer_cleanup: PeerCleanup) -> Iterator[Callable[[], str]]:
    """Makes user names for the peer's ``_users``; the accounts are deleted at teardown."""
    made: list[str] = []

    def make() -> str:
        made.append(peer_cleanup.user_name())
        return made[-1]

    yield make
    for name in made:
        peer_cleanup.delete_user(name)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave artefacts worth looking at (screenshots)."""
    path = ROOT / "test-output"
    path.mkdir(exist_ok=True)
    return path
