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
    ReadOnlyStorageError,
    StorageFullError,
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
    "ReadOnlyStorageError",
    "Replication",
    "StorageFullError",
    "SyncReplication",
    "UnauthorizedError",
    "open_database",
    "replicate",
    "sync",
]


async def open_database(location: str, *, create: bool = True, read_only: bool = False) -> Database:
    """Open a database: a path ending in ``.sqlite`` is the embedded store; an
    ``http(s)://[user:pass@]host[:port]/dbname`` URL is a CouchDB database.

    With ``create`` (the default) a missing database is created; otherwise a
    missing one raises :class:`NotFoundError`. A file that cannot be written raises
    :class:`ReadOnlyStorageError`; ``read_only=True`` (files only, with ``create=False``)
    opens it for reading alone. What a CouchDB account may write is its server's business.
    """
    if location.startswith(("http://", "https://")):
        from sync.couch import open_couch_database

        if read_only:
            raise BadRequestError("read_only is for .sqlite files; CouchDB decides its own")
        return await open_couch_database(location, create=create)
    if location.endswith(".sqlite"):
        from sync.embedded import open_embedded_database

        return await open_embedded_database(location, create=create, read_only=read_only)
    raise BadRequestError(
        f"cannot open {location!r}: expected a path ending in .sqlite or an http(s):// URL"
    )
