"""Fixtures for the store suites: one factory, every kind of store.

``make_db(kind)`` gives a fresh, empty :class:`sync.database.Database` of that
kind and cleans it up at teardown (a peer database is named by the session's
``peer_cleanup`` and deleted, also when the test failed)::

    async def test_something(make_db: MakeDb) -> None:
        source = await make_db("embedded")   # a new SQLite file under tmp_path
        target = await make_db("couch")      # a new uniquely named db on the peer

``db`` is the same, parametrized over :data:`KINDS`, for suites that run once
per store. ``peer_welcome`` is the peer's ``GET /`` and ``peer_is_pouchdb``
tells pouchdb-server from Apache CouchDB, for the few features the test peer
lacks (a test skips those on it, saying why).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from couchpeer import PeerCleanup

from sync.couch import open_couch_database
from sync.database import Database
from sync.embedded import open_embedded_database

KINDS = ("embedded", "couch")

MakeDb = Callable[[str], Awaitable[Database]]


@pytest.fixture
async def make_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeDb]:
    opened: list[Database] = []
    peer_dbs: list[str] = []

    async def make(kind: str) -> Database:
        if kind == "embedded":
            path = tmp_path / f"db_{uuid.uuid4().hex[:8]}.sqlite"
            db: Database = await open_embedded_database(str(path))
        elif kind == "couch":
            couch_url: str = request.getfixturevalue("couch_url")
            cleanup: PeerCleanup = request.getfixturevalue("peer_cleanup")
            name = cleanup.db_name()  # registered before it exists: swept whatever happens
            peer_dbs.append(name)
            db = await open_couch_database(f"{couch_url}/{name}")
        else:
            raise ValueError(f"unknown store kind {kind!r}; expected one of {KINDS}")
        opened.append(db)
        return db

    try:
        yield make
    finally:
        try:
            for db in opened:
                await db.close()
        finally:
            if peer_dbs:
                cleanup = request.getfixturevalue("peer_cleanup")
                for name in peer_dbs:
                    cleanup.delete_db(name)


@pytest.fixture(params=KINDS)
async def db(request: pytest.FixtureRequest, make_db: MakeDb) -> Database:
    """A fresh empty database, once per kind of store."""
    return await make_db(request.param)


@pytest.fixture(scope="session")
def peer_welcome(couch_url: str) -> dict[str, Any]:
    welcome: dict[str, Any] = httpx.get(couch_url + "/", timeout=10).json()
    return welcome


@pytest.fixture(scope="session")
def peer_is_pouchdb(peer_welcome: dict[str, Any]) -> bool:
    """True when the peer is pouchdb-server (no ``_revs_limit``, no ``_selector`` filter)."""
    return "express-pouchdb" in peer_welcome
