"""Replication through the county's reverse proxy: Caddy with ``deploy/caddy/couch.caddy``
(TLS from its internal CA, answers compressed by Caddy alone), trusted with COUCHDB_CA_FILE."""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from replication_helpers import MakeDb, snapshot

from sync import NetworkError, replicate
from sync.couch import open_couch_database
from sync.couch_http import CA_FILE_ENV, tls_context
from sync.errors import BadRequestError
from sync.replication import State

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from caddy import Caddy, running_caddy
from linkproxy import LinkProxy

pytestmark = pytest.mark.skipif(
    shutil.which("caddy") is None,
    reason="caddy is not installed (make test installs Debian's; apt-get install caddy)",
)


@pytest.fixture
async def chain(couch_url: str) -> AsyncIterator[tuple[Caddy, LinkProxy]]:
    """Caddy in front of a counting relay in front of the peer: the relay counts what the
    peer sends Caddy, to tell whose compression a laptop gets."""
    async with LinkProxy(couch_url) as upstream:
        with running_caddy(upstream.url) as proxy:
            yield proxy, upstream


async def test_a_laptop_pushes_and_pulls_through_caddy(
    make_db: MakeDb, chain: tuple[Caddy, LinkProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    caddy, upstream = chain
    laptop = await make_db("embedded")
    county = await make_db("couch")  # made on the peer itself, deleted after the test
    text = "村民议事会决议：村道硬化工程由村民代表会议表决通过。" * 20
    await laptop.bulk_docs([{"_id": f"record:{i:04}", "text": text, "i": i} for i in range(300)])
    url = f"{caddy.url}/{county.name}"

    # Without the county's CA the certificate is refused, before anything is sent.
    monkeypatch.delenv(CA_FILE_ENV, raising=False)
    with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
        await open_couch_database(url)

    monkeypatch.setenv(CA_FILE_ENV, caddy.ca_file)
    push = await replicate(laptop, url, batch_size=50)
    fresh = await make_db("embedded")
    upstream.reset_counts()
    pull = await replicate(url, fresh, batch_size=50)

    assert push.state is pull.state is State.COMPLETE
    assert push.counters.docs_written == pull.counters.docs_written == 300
    assert await snapshot(fresh) == await snapshot(laptop) == await snapshot(county)
    # The peer was asked for no compression and sent the feed's bodies in full to Caddy;
    # Caddy compressed them for the laptop.
    bodies = 300 * len(text.encode())
    assert upstream.down.bytes > bodies
    assert pull.counters.bytes_received is not None
    assert pull.counters.bytes_received < bodies / 10


async def test_an_unreadable_ca_file_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CA_FILE_ENV, "/nonexistent/root.crt")
    with pytest.raises(BadRequestError, match=r"COUCHDB_CA_FILE=/nonexistent/root\.crt"):
        tls_context()
