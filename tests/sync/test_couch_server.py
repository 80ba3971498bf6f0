"""Server-level helpers of the CouchDB endpoint, against the peer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from sync.couch import open_couch_database
from sync.couch_server import CouchServer
from sync.errors import ConflictError, NotFoundError, PreconditionFailedError


@pytest.fixture
async def server(couch_url: str) -> AsyncIterator[CouchServer]:
    async with CouchServer(couch_url) as srv:
        yield srv


@pytest.fixture
def new_name(new_couch_db_name: Callable[..., str]) -> Callable[[], str]:
    """Makes unused database names; those that exist at teardown are deleted."""
    return lambda: new_couch_db_name()


async def test_info_names_the_vendor(server: CouchServer) -> None:
    info = await server.info()
    assert "version" in info and isinstance(info["vendor_name"], str)
    assert isinstance(info["selector_filter"], bool)
    assert "@" not in server.url


async def test_create_list_delete(
    server: CouchServer, peer_is_pouchdb: bool, new_name: Callable[[], str]
) -> None:
    name = new_name()
    await server.create_db(name)
    assert name in await server.all_dbs()
    with pytest.raises(PreconditionFailedError):
        await server.create_db(name)
    await server.delete_db(name)
    assert name not in await server.all_dbs()
    if not peer_is_pouchdb:  # pouchdb-server answers ok to deleting a missing database
        with pytest.raises(NotFoundError):
            await server.delete_db(name)


async def test_security_round_trip(server: CouchServer, new_name: Callable[[], str]) -> None:
    name = new_name()
    await server.create_db(name)
    security = {
        "admins": {"names": [], "roles": ["county"]},
        "members": {"names": [], "roles": ["village_v1", "county"]},
    }
    await server.put_security(name, security)
    assert await server.get_security(name) == security


async def test_put_design_creates_then_replaces(
    server: CouchServer, new_name: Callable[[], str]
) -> None:
    name = new_name()
    db = await server.database(name)
    async with db:
        first = await server.put_design(
            name, {"_id": "rules", "validate_doc_update": "function(){}"}
        )
        second = await server.put_design(name, {"_id": "_design/rules", "language": "javascript"})
        assert first["id"] == second["id"] == "_design/rules"
        stored = await db.get("_design/rules")
        assert stored["_rev"] == second["rev"] and stored["language"] == "javascript"
        assert "validate_doc_update" not in stored


async def test_create_user(server: CouchServer, new_couch_user_name: Callable[[], str]) -> None:
    name = new_couch_user_name()
    result = await server.create_user(name, "secret", ["village_v1"])
    assert result["id"] == f"org.couchdb.user:{name}"
    with pytest.raises(ConflictError):
        await server.create_user(name, "again")


async def test_servers_own_replicator(
    couch_url: str, server: CouchServer, new_name: Callable[[], str]
) -> None:
    source, target = new_name(), new_name()
    async with await open_couch_database(f"{couch_url}/{source}") as db:
        await db.bulk_docs([{"_id": f"d{i}", "n": i} for i in range(5)])
    result = await server.replicate(
        f"{couch_url}/{source}", f"{couch_url}/{target}", create_target=True
    )
    assert result["ok"] is True
    async with await open_couch_database(f"{couch_url}/{target}", create=False) as copy:
        assert (await copy.info())["doc_count"] == 5
