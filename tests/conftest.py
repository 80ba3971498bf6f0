"""Shared fixtures.

``couch_url`` is the admin URL of the CouchDB-protocol peer: ``COUCHDB_URL``
when set (``make test`` starts pouchdb-server and sets it; point it at an
Apache CouchDB 3.x to run the same suite there), otherwise a peer this
session starts itself.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from couchpeer import running_peer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def couch_url() -> Iterator[str]:
    with running_peer() as url:
        os.environ.setdefault("COUCHDB_URL", url)
        yield url


@pytest.fixture
def couch_db_url(couch_url: str) -> str:
    """A fresh, not yet created, database name on the peer."""
    return f"{couch_url}/test_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave artefacts worth looking at (screenshots)."""
    path = ROOT / "test-output"
    path.mkdir(exist_ok=True)
    return path
