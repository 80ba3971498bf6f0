"""The village's database on the county server, opened with the stored account.

The credentials go to the HTTP client beside the address, never into a URL, so no location
the replicator logs, no error and no page can show the password. Before anything moves, the
server's welcome is read: a CouchDB older than 2.0 lacks what the replication relies on
(``_bulk_get``, Mango selectors, opaque sequences), and a run against it would fail half-way
with a message nobody could act on.
"""

from __future__ import annotations

from typing import Any, Final

from sync.couch import CouchDatabase
from sync.couch_http import DEFAULT_TIMEOUT, CouchTransport, ServerAddress, split_url

#: The oldest CouchDB whose replication protocol the laptop speaks in full.
MIN_COUCHDB_MAJOR: Final = 2


class CountyTooOld(Exception):
    """The county's server is a CouchDB older than :data:`MIN_COUCHDB_MAJOR`."""

    def __init__(self, version: str) -> None:
        super().__init__(f"the county's CouchDB {version} is too old (2.0 or later is needed)")
        self.version = version


def too_old(welcome: dict[str, Any]) -> str | None:
    """The version of a server that is too old, from its ``GET /`` welcome; else ``None``.
    Only an Apache CouchDB (``"couchdb": "Welcome"``) is judged by its version number:
    pouchdb-server numbers its own releases."""
    if "couchdb" not in welcome:
        return None
    version = str(welcome.get("version", ""))
    major = version.split(".", 1)[0]
    if major.isdigit() and int(major) < MIN_COUCHDB_MAJOR:
        return version
    return None


async def open_county_database(
    url: str, account: str, password: str, *, timeout: float = DEFAULT_TIMEOUT
) -> CouchDatabase:
    """The database at ``url`` (no credentials in it), as ``account``. Raises
    :class:`CountyTooOld`, or the store's named errors (a wrong password: ``UnauthorizedError``;
    no such database: ``NotFoundError``; no network: ``NetworkError``)."""
    address, name = split_url(url)
    transport = CouchTransport(ServerAddress(address.base, (account, password)), timeout=timeout)
    try:
        welcome = await transport.request("GET", "/")
        version = too_old(welcome) if isinstance(welcome, dict) else None
        if version is not None:
            raise CountyTooOld(version)
    except BaseException:
        await transport.close()
        raise
    return await CouchDatabase.open(transport, name or "", create=False)
