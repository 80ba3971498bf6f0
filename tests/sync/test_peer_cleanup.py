"""A test run leaves the peer as it found it: no database of the suite stays behind.

An inner pytest session (a subprocess, on the same peer through ``COUCHDB_URL``)
runs tests that make databases the ways the suite does and then fail, make one
by hand, and end the session with SIGTERM halfway. Every database it made must
be gone afterwards, while a database named like the suite's older names that
was on the server before the session is left alone (it could be a user's).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from couchpeer import PeerCleanup

TESTS = Path(__file__).resolve().parent.parent

INNER_TESTS = """
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

LOG = Path(os.environ["CLEANUP_LOG"])


def made(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


def test_fails_after_making_databases(couch_db_url, new_couch_db_name, peer_cleanup):
    name = couch_db_url.rsplit("/", 1)[1]
    peer_cleanup.create_db(name)
    made(name)
    other = new_couch_db_name(suffix="$(x)+y-z")
    peer_cleanup.create_db(other)
    made(other)
    assert name in peer_cleanup.all_dbs()
    assert False, "fails on purpose, after making its databases"


def test_makes_one_by_hand(peer_cleanup):
    # Not through a fixture: only the end-of-session sweep deletes these.
    for name in ("cunyi_test_byhand" + uuid.uuid4().hex[:8], "test_repo_" + uuid.uuid4().hex[:10]):
        peer_cleanup.create_db(name)
        made(name)


def test_is_terminated(couch_db_url, peer_cleanup):
    name = couch_db_url.rsplit("/", 1)[1]
    peer_cleanup.create_db(name)
    made(name)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)


def test_never_runs():
    pass
"""


@pytest.mark.slow
def test_databases_are_deleted_after_failures_and_interruption(
    pytester: pytest.Pytester, peer_cleanup: PeerCleanup, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(TESTS / "conftest.py", pytester.path / "conftest.py")
    pytester.makepyfile(test_inner=INNER_TESTS)
    log = pytester.path / "made.txt"
    monkeypatch.setenv("CLEANUP_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    # A database named like the suite's older names that was there before the session.
    theirs = "test_" + "0123456789ab"
    peer_cleanup.create_db(theirs)
    try:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
        made = log.read_text().split()
        after = set(peer_cleanup.all_dbs())
    finally:
        peer_cleanup.delete_db(theirs)

    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1 and outcomes.get("passed") == 1, result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert len(made) == 5
    assert not set(made) & after, f"left on the peer: {sorted(set(made) & after)}"
    assert theirs in after  # not the suite's to delete
