"""``villages``: village databases under a prefix of the test's own on the peer, deleted at
the end of the test whatever happened (the session's sweep catches any left behind: the
prefix starts with the suite's ``cunyi_test_``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from couchpeer import DB_PREFIX, PeerCleanup

from county.dbupdates_proxy import DbUpdatesProxy
from county.helpers import Villages


@pytest.fixture(scope="session")
def server_has_db_updates(couch_url: str) -> bool:
    """Whether the peer itself serves ``_db_updates`` (Apache CouchDB with
    ``_global_changes``; pouchdb-server 4.2.0 answers 400)."""
    answer = httpx.get(couch_url + "/_db_updates", params={"since": "now"}, timeout=10)
    return answer.status_code == 200


@pytest.fixture
def village_prefix(peer_cleanup: PeerCleanup) -> Iterator[str]:
    prefix = f"{DB_PREFIX}{uuid.uuid4().hex[:8]}_village_"
    yield prefix
    for name in peer_cleanup.all_dbs():
        if name.startswith(prefix):
            peer_cleanup.delete_db(name)


@pytest.fixture
def villages(couch_url: str, village_prefix: str, tmp_path: Path) -> Villages:
    return Villages(couch_url, village_prefix, tmp_path / "county")


@pytest.fixture
async def db_updates_proxy(couch_url: str) -> AsyncIterator[DbUpdatesProxy]:
    """The peer behind a proxy that serves ``_db_updates`` (see dbupdates_proxy.py)."""
    async with DbUpdatesProxy(couch_url) as proxy:
        yield proxy
