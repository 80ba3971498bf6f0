"""The one async interface every store implements.

Method names, arguments and return values mirror CouchDB's HTTP API and its
JSON shapes (docs.couchdb.org, "API Reference"), so that the replicator and
the app never need to know which store they talk to. Two implementations:

* :mod:`sync.embedded` — SQLite, one file per database (field laptops, kiosk);
* :mod:`sync.couch` — a CouchDB (or CouchDB-protocol) server over HTTP.

Errors are the named exceptions of :mod:`sync.errors`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, Literal

Doc = dict[str, Any]
OpenRevs = Sequence[str] | Literal["all"]
ChangesStyle = Literal["main_only", "all_docs"]

#: CouchDB 3's default ``max_document_size`` is 8 MB; we refuse larger bodies the same way.
MAX_DOCUMENT_SIZE = 8_000_000
DEFAULT_REVS_LIMIT = 1000


class Database(abc.ABC):
    """A CouchDB database. Every method may raise a :class:`sync.errors.CouchError`."""

    #: The database name (the file stem for the embedded store).
    name: str
    #: Where it lives: a path or a URL without credentials (for logs and replication ids).
    location: str

    # -- database ---------------------------------------------------------
    @abc.abstractmethod
    async def info(self) -> Doc:
        """``GET /db``: at least ``db_name``, ``doc_count``, ``doc_del_count``, ``update_seq``."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- documents --------------------------------------------------------
    @abc.abstractmethod
    async def get(
        self,
        docid: str,
        *,
        rev: str | None = None,
        revs: bool = False,
        revs_info: bool = False,
        conflicts: bool = False,
        deleted_conflicts: bool = False,
        open_revs: OpenRevs | None = None,
        latest: bool = False,
        attachments: bool = False,
    ) -> Any:
        """``GET /db/docid``. With ``open_revs`` returns a list of ``{"ok": doc}`` / ``{"missing": rev}``;
        otherwise the document (a deleted winner, or a missing id, raises NotFoundError unless
        ``rev`` names a revision that exists)."""

    @abc.abstractmethod
    async def put(self, doc: Mapping[str, Any]) -> Doc:
        """``PUT /db/docid``: ``{"ok": true, "id": ..., "rev": ...}``; a stale or missing ``_rev``
        for an existing document raises ConflictError."""

    async def delete(self, docid: str, rev: str) -> Doc:
        """``DELETE /db/docid?rev=``: writes a tombstone."""
        return await self.put({"_id": docid, "_rev": rev, "_deleted": True})

    @abc.abstractmethod
    async def bulk_docs(
        self, docs: Sequence[Mapping[str, Any]], *, new_edits: bool = True
    ) -> list[Doc]:
        """``POST /db/_bulk_docs``. With ``new_edits=True`` one result per doc, either
        ``{"ok": true, "id", "rev"}`` or ``{"id", "error", "reason"}``; with ``new_edits=False`` the
        revisions are stored as given (with ``_revisions`` history), conflicts may arise, and the
        result lists only the failures (CouchDB returns ``[]`` when all succeed)."""

    @abc.abstractmethod
    async def all_docs(
        self,
        *,
        keys: Sequence[str] | None = None,
        include_docs: bool = False,
        startkey: str | None = None,
        endkey: str | None = None,
        limit: int | None = None,
        skip: int = 0,
        descending: bool = False,
    ) -> Doc:
        """``GET /db/_all_docs``: ``{"total_rows", "offset", "rows": [{"id", "key", "value": {"rev"}, "doc"?}]}``."""

    @abc.abstractmethod
    async def changes(
        self,
        *,
        since: Any = 0,
        limit: int | None = None,
        style: ChangesStyle = "main_only",
        include_docs: bool = False,
        conflicts: bool = False,
        doc_ids: Sequence[str] | None = None,
        selector: Mapping[str, Any] | None = None,
        feed: Literal["normal", "longpoll"] = "normal",
        timeout: float | None = None,
    ) -> Doc:
        """``GET /db/_changes``: ``{"results": [{"seq", "id", "changes": [{"rev"}], "deleted"?, "doc"?}],
        "last_seq"}``. Sequences are opaque: compare nothing but equality, pass them back as ``since``.
        ``feed="longpoll"`` waits up to ``timeout`` seconds for a change when there is none."""

    @abc.abstractmethod
    async def revs_diff(self, mapping: Mapping[str, Sequence[str]]) -> Doc:
        """``POST /db/_revs_diff``: ``{docid: {"missing": [rev, ...]}}`` for ids with missing revs."""

    @abc.abstractmethod
    async def bulk_get(
        self, requests: Sequence[Mapping[str, Any]], *, revs: bool = True, attachments: bool = False
    ) -> Doc:
        """``POST /db/_bulk_get``: ``{"results": [{"id", "docs": [{"ok": doc} | {"error": {...}}]}]}``."""

    # -- _local documents (never replicated, no history) -------------------
    @abc.abstractmethod
    async def get_local(self, docid: str) -> Doc:
        """``GET /db/_local/id``; ``docid`` may be given with or without the ``_local/`` prefix."""

    @abc.abstractmethod
    async def put_local(self, doc: Mapping[str, Any]) -> Doc: ...

    @abc.abstractmethod
    async def delete_local(self, docid: str, rev: str | None = None) -> Doc: ...

    # -- settings ---------------------------------------------------------
    @abc.abstractmethod
    async def revs_limit(self) -> int: ...

    @abc.abstractmethod
    async def set_revs_limit(self, n: int) -> None: ...

    # -- attachments ------------------------------------------------------
    @abc.abstractmethod
    async def get_attachment(
        self, docid: str, name: str, *, rev: str | None = None
    ) -> tuple[bytes, str]:
        """The attachment's bytes and content type."""

    @abc.abstractmethod
    async def put_attachment(
        self, docid: str, name: str, data: bytes, content_type: str, *, rev: str | None = None
    ) -> Doc: ...

    # -- queries ----------------------------------------------------------
    @abc.abstractmethod
    async def find(
        self,
        selector: Mapping[str, Any],
        *,
        sort: Sequence[str | Mapping[str, str]] | None = None,
        limit: int | None = None,
        skip: int = 0,
        fields: Sequence[str] | None = None,
    ) -> Doc:
        """``POST /db/_find`` (a Mango subset: ``$eq $ne $gt $gte $lt $lte $in $exists $and $or``
        on dotted fields): ``{"docs": [...]}``."""

    # -- capabilities -----------------------------------------------------
    async def supports_selector_filter(self) -> bool:
        """Whether ``changes(selector=...)`` is filtered by the store (CouchDB >= 2, embedded)."""
        return True
