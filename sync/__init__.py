"""A small CouchDB-compatible store and replication library ("a tiny PouchDB for Python").

It knows nothing about villages and never imports ``village_app``.
"""

from __future__ import annotations

from sync.database import Database
from sync.errors import (
    AnswerTooLargeError,
    BadRequestError,
    ConflictError,
    CouchError,
    DeadlineError,
    DocumentTooLargeError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PeerError,
    PreconditionFailedError,
    UnauthorizedError,
)
from sync.replication import Replication, SyncReplication, replicate, sync

__all__ = [
    "AnswerTooLargeError",
    "BadRequestError",
    "ConflictError",
    "CouchError",
    "Database",
    "DeadlineError",
    "DocumentTooLargeError",
    "ForbiddenError",
    "NetworkError",
    "NotFoundError",
    "PeerError",
    "PreconditionFailedError",
    "Replication",
    "SyncReplication",
    "UnauthorizedError",
    "open_database",
    "replicate",
    "sync",
]


async def open_database(location: str, *, create: bool = True) -> Database:
    """Open a database: a path ending in ``.sqlite`` is the embedded store; an
    ``http(s)://[user:pass@]host[:port]/dbname`` URL is a CouchDB database.

    With ``create`` (the default) a missing database is created; otherwise a
    missing one raises :class:`NotFoundError`.
    """
    if location.startswith(("http://", "https://")):
        from sync.couch import open_couch_database

        return await open_couch_database(location, create=create)
    if location.endswith(".sqlite"):
        from sync.embedded import open_embedded_database

        return await open_embedded_database(location, create=create)
    raise BadRequestError(
        f"cannot open {location!r}: expected a path ending in .sqlite or an http(s):// URL"
    )
