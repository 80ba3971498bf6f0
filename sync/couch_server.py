"""Server-level CouchDB helpers: databases, ``_security``, design documents, ``_users``,
the server's own replicator (``POST /_replicate``, used by the interop tests), and what
changed across databases (``_db_updates``, for a program following many of them).

Create databases as an admin: CouchDB requires it, and pouchdb-server crashes
on an anonymous or non-admin ``PUT /newdb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sync.couch import CouchDatabase, selector_filter_supported
from sync.couch_http import (
    DEFAULT_TIMEOUT,
    LONGPOLL_MARGIN,
    CouchStats,
    CouchTransport,
    db_path,
    doc_path,
    expect_dict,
    expect_list,
    split_url,
)
from sync.database import Doc
from sync.errors import DeadlineError, NotFoundError, PeerError

__all__ = ["CouchServer"]

#: ``POST /_replicate`` answers when the one-shot replication is done.
_REPLICATE_TIMEOUT = 300.0


class CouchServer:
    """``CouchServer("http://admin:secret@host:5984")``: one HTTP client for server calls."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        address, _ = split_url(url, with_db=False)
        self._http = CouchTransport(address, timeout=timeout)
        self.url = address.base

    @property
    def stats(self) -> CouchStats:
        return self._http.stats

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> CouchServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- server -----------------------------------------------------------
    async def info(self) -> Doc:
        """The ``GET /`` welcome, plus ``vendor_name`` and ``selector_filter`` (our additions)."""
        welcome = dict(expect_dict(await self._http.request("GET", "/"), "the server welcome"))
        vendor = welcome.get("vendor")
        welcome["vendor_name"] = vendor.get("name", "") if isinstance(vendor, dict) else ""
        welcome["selector_filter"] = selector_filter_supported(welcome)
        return welcome

    async def is_pouchdb_server(self) -> bool:
        return "express-pouchdb" in await self.info()

    async def all_dbs(self) -> list[str]:
        return list(expect_list(await self._http.request("GET", "/_all_dbs"), "_all_dbs"))

    async def db_info(self, name: str) -> Doc:
        """``GET /db`` as the server answers it (a missing database raises
        :class:`NotFoundError`). Unlike :meth:`CouchDatabase.info` it adds nothing: one
        request, whatever the server (``update_seq`` is opaque: compare it for equality only)."""
        return dict(expect_dict(await self._http.request("GET", db_path(name)), "database info"))

    async def db_updates(
        self,
        *,
        since: Any = None,
        feed: Literal["normal", "longpoll"] = "normal",
        timeout: float | None = None,
    ) -> Doc:
        """``GET /_db_updates``: ``{"results": [{"db_name", "type", "seq"}], "last_seq"}``, the
        databases created, updated and deleted after ``since`` (an opaque sequence, ``"now"``,
        or ``None`` for all the server remembers). ``feed="longpoll"`` waits up to ``timeout``
        seconds for one; a feed that stays silent past that ends empty.

        A server without the feed refuses it: pouchdb-server with 400, CouchDB without its
        ``_global_changes`` database with an error of its own; the caller falls back to
        polling ``_all_dbs``."""
        params: dict[str, str] = {"feed": feed}
        if since is not None:
            params["since"] = str(since)
        call_timeout: float | None = None
        if feed == "longpoll":
            wait = timeout if timeout is not None else 60.0
            params["timeout"] = str(int(wait * 1000))
            call_timeout = wait + LONGPOLL_MARGIN
        try:
            answer = await self._http.request(
                "GET", "/_db_updates", params=params, timeout=call_timeout
            )
        except DeadlineError:
            if feed == "longpoll":
                return {"results": [], "last_seq": since}
            raise
        result = dict(expect_dict(answer, "the _db_updates result"))
        expect_list(result.get("results"), "_db_updates results")
        if "last_seq" not in result:
            raise PeerError("the _db_updates result has no last_seq")
        return result

    async def create_db(self, name: str) -> None:
        """Create ``name``; an existing one raises :class:`PreconditionFailedError`."""
        await self._http.request("PUT", db_path(name))

    async def delete_db(self, name: str) -> None:
        await self._http.request("DELETE", db_path(name))

    async def database(self, name: str, *, create: bool = True) -> CouchDatabase:
        """A :class:`CouchDatabase` on this server with the same credentials (its own client)."""
        transport = CouchTransport(
            self._http.address,
            timeout=self._http.timeout,
            max_answer_bytes=self._http.max_answer_bytes,
        )
        return await CouchDatabase.open(transport, name, create=create)

    # -- security and design ----------------------------------------------
    async def get_security(self, name: str) -> Doc:
        return dict(
            expect_dict(await self._http.request("GET", db_path(name) + "/_security"), "_security")
        )

    async def put_security(self, name: str, doc: Mapping[str, Any]) -> None:
        await self._http.request("PUT", db_path(name) + "/_security", body=dict(doc))

    async def put_design(self, name: str, ddoc: Mapping[str, Any]) -> Doc:
        """Create or replace a design document (``ddoc["_id"]`` starts with ``_design/``)."""
        docid = str(ddoc["_id"])
        if not docid.startswith("_design/"):
            docid = "_design/" + docid
        path = db_path(name) + doc_path(docid)
        body = dict(ddoc, _id=docid)
        body.pop("_rev", None)
        try:
            current = await self._http.request("GET", path, docid=docid)
            body["_rev"] = current["_rev"]
        except NotFoundError:
            pass
        return dict(
            expect_dict(
                await self._http.request("PUT", path, body=body, docid=docid), "the write result"
            )
        )

    # -- users ------------------------------------------------------------
    async def create_user(self, name: str, password: str, roles: list[str] | None = None) -> Doc:
        """A user in ``_users`` (an existing one raises :class:`ConflictError`)."""
        docid = f"org.couchdb.user:{name}"
        body = {
            "_id": docid,
            "name": name,
            "password": password,
            "roles": list(roles or []),
            "type": "user",
        }
        return dict(
            expect_dict(
                await self._http.request(
                    "PUT", "/_users" + doc_path(docid), body=body, docid=docid
                ),
                "the write result",
            )
        )

    async def put_user(self, name: str, password: str | None, roles: list[str]) -> bool:
        """Create ``name`` in ``_users``, or set its roles (and password, unless ``None``) if
        it exists. Returns whether it existed."""
        docid = f"org.couchdb.user:{name}"
        path = "/_users" + doc_path(docid)
        try:
            current = dict(expect_dict(await self._http.request("GET", path, docid=docid), "user"))
        except NotFoundError:
            current = {}
        body = {**current, "_id": docid, "name": name, "roles": list(roles), "type": "user"}
        if password is not None:
            body["password"] = password
        await self._http.request("PUT", path, body=body, docid=docid)
        return bool(current)

    async def session(self) -> Doc:
        """``GET /_session``: who these credentials are (``userCtx``: name and roles)."""
        return dict(expect_dict(await self._http.request("GET", "/_session"), "_session"))

    # -- replication ------------------------------------------------------
    async def replicate(self, source_url: str, target_url: str, **opts: Any) -> Doc:
        """One-shot ``POST /_replicate`` by the server itself; ``opts`` go into the body
        (``create_target``, ``doc_ids``, ``selector``, ...)."""
        body = {"source": source_url, "target": target_url, **opts}
        return dict(
            expect_dict(
                await self._http.request(
                    "POST", "/_replicate", body=body, timeout=_REPLICATE_TIMEOUT
                ),
                "the _replicate result",
            )
        )
