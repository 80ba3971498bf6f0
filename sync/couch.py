"""The store interface over CouchDB's HTTP API (Apache CouchDB 3.x, or pouchdb-server).

Each method is one endpoint of docs.couchdb.org's "API Reference" and returns
its JSON unchanged, except where a CouchDB-protocol server deviates from
CouchDB and we normalise to CouchDB's documented shape:

* ``_bulk_get``: pouchdb-server answers ``{}`` or ``{"missing": rev}`` for a
  missing document and merges requests for the same id; we send each id once
  per request and turn those entries into CouchDB's ``{"error": {...}}``. For
  a request without ``rev`` CouchDB gives every leaf (``open_revs=all``),
  pouchdb-server only the winner: on pouchdb-server we ask ``open_revs=all``.
* ``open_revs=all``: leaves in CouchDB's order (generation, then rev id).
  Without ``_bulk_get`` at all (CouchDB 1.x) we fall back to ``open_revs`` GETs
  by ourselves (``bulk_get_supported`` tells which is in use).
* ``info()``: pouchdb-server omits ``doc_del_count``; we count it.
* ``get(deleted_conflicts=True)``: pouchdb-server ignores it; we list the
  deleted leaves from ``open_revs=all``.
* longpoll ``changes``: every call has its own client timeout (the server's
  ``timeout`` plus a margin), and a feed that stays silent that long ends
  empty, as CouchDB's would.
* Answers are checked against what was asked: a ``_bulk_get`` or ``open_revs``
  entry for a revision or a document that was not asked for is a
  :class:`~sync.errors.PeerError`, never passed on.

Every answer is read within the bounds of :mod:`sync.couch_http` (size, deadline).

Documents over :data:`~sync.database.MAX_DOCUMENT_SIZE` are refused before they
are sent (CouchDB 3's default ``max_document_size``; pouchdb-server has none).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote

from sync.couch_http import (
    DEFAULT_TIMEOUT,
    LONGPOLL_MARGIN,
    MAX_ANSWER_BYTES,
    CouchStats,
    CouchTransport,
    RawJSON,
    db_path,
    decode_json,
    doc_path,
    expect,
    expect_dict,
    expect_list,
    query_params,
    split_url,
)
from sync.couch_multipart import multipart_related, sent_as_multipart
from sync.couch_shapes import (
    bulk_get_entry,
    bulk_get_results,
    bulk_get_rounds,
    check_rev,
    deleted_leaves,
    json_param,
    leaf_order,
    missing_entry,
    selector_filter_supported,
    too_large,
)
from sync.database import ChangesStyle, Database, Doc, OpenRevs
from sync.errors import (
    BadRequestError,
    DeadlineError,
    DocumentTooLargeError,
    ForbiddenError,
    NotFoundError,
    PeerError,
    PreconditionFailedError,
)

__all__ = ["CouchDatabase", "CouchStats", "open_couch_database", "selector_filter_supported"]

#: CouchDB's ``_find`` returns 25 docs unless told otherwise; ``limit=None`` means all.
_FIND_ALL = 2**31 - 1
#: How long CouchDB waits on a longpoll without ``timeout`` (its ``changes_timeout``).
_LONGPOLL_DEFAULT = 60.0
#: Rows of the changes feed per request where ``info()`` counts tombstones itself.
_INFO_PAGE = 1000
#: Replicated revisions with attachments written (``multipart/related`` PUTs) at once.
MULTIPART_CONCURRENCY = 4
#: The default :attr:`CouchDatabase.max_request_bytes`.
MAX_REQUEST_BYTES = 8_000_000


async def open_couch_database(
    url: str,
    *,
    create: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
) -> CouchDatabase:
    """Open ``http(s)://[user:pass@]host[:port]/dbname``, creating it (as that user) when missing
    and ``create`` is true; otherwise a missing database raises :class:`NotFoundError`.

    ``timeout`` bounds each read and, with the time the request's bytes take at the
    slowest allowed speed, each whole request; ``max_answer_bytes`` bounds each answer
    (:mod:`sync.couch_http`)."""
    address, name = split_url(url)
    if not name:
        raise BadRequestError(f"no database name in {address.base!r}")
    transport = CouchTransport(address, timeout=timeout, max_answer_bytes=max_answer_bytes)
    return await CouchDatabase.open(transport, name, create=create)


class CouchDatabase(Database):
    """One CouchDB database, reached through its own HTTP client."""

    def __init__(self, transport: CouchTransport, name: str) -> None:
        self._http = transport
        self.name = name
        self.location = transport.address.base + db_path(name)
        self._path = db_path(name)
        self._welcome_doc: Doc | None = None  # GET /, fetched once
        #: False once the server turned out to have no ``_bulk_get`` (then open_revs GETs are used).
        self.bulk_get_supported = True
        #: Seconds a longpoll may outlast its own ``timeout`` before we call it empty.
        self.longpoll_margin = LONGPOLL_MARGIN
        #: Largest ``_bulk_docs`` body sent in one request: a batch of large records is
        #: written in several (CouchDB's ``max_http_request_size`` is 4 GB, but a server
        #: holds a body whole while it decodes it).
        self.max_request_bytes = MAX_REQUEST_BYTES

    @classmethod
    async def open(cls, transport: CouchTransport, name: str, *, create: bool) -> CouchDatabase:
        """The database ``name`` through ``transport`` (closed again if it cannot be opened)."""
        db = cls(transport, name)
        try:
            await db.ensure_exists(create=create)
        except BaseException:
            await db.close()
            raise
        return db

    @property
    def stats(self) -> CouchStats:
        return self._http.stats

    def __repr__(self) -> str:
        return f"CouchDatabase({self.location!r})"

    async def ensure_exists(self, *, create: bool) -> None:
        response = await self._http.send("HEAD", self._path, check=False)
        if response.status_code == 200:
            return
        if response.status_code == 403:
            # A HEAD answer has no body to say why: name the database the account may not use.
            raise ForbiddenError(f"no access to {self.location}")
        if response.status_code != 404:
            raise self._http.error("HEAD", self.location, response, docid=None, rev=None)
        if not create:
            raise NotFoundError(f"database {self.name!r} does not exist at {self.location}")
        with contextlib.suppress(PreconditionFailedError):  # created meanwhile: fine
            await self._http.request("PUT", self._path)

    async def close(self) -> None:
        await self._http.close()

    # -- database ---------------------------------------------------------
    async def info(self) -> Doc:
        info = expect_dict(await self._http.request("GET", self._path), "database info")
        if "doc_del_count" not in info:
            # pouchdb-server does not count tombstones; the changes feed has one row per doc,
            # read in pages so that no answer holds the whole database.
            deleted, since = 0, 0
            while True:
                feed = await self.changes(since=since, limit=_INFO_PAGE)
                deleted += sum(
                    1 for row in feed["results"] if isinstance(row, dict) and row.get("deleted")
                )
                if len(feed["results"]) < _INFO_PAGE or feed["last_seq"] == since:
                    break
                since = feed["last_seq"]
            info["doc_del_count"] = deleted
        return info

    async def _welcome(self) -> Doc:
        if self._welcome_doc is None:
            self._welcome_doc = expect_dict(
                await self._http.request("GET", "/"), "the server welcome"
            )
        return self._welcome_doc

    async def _is_pouchdb_server(self) -> bool:
        return "express-pouchdb" in await self._welcome()

    async def supports_selector_filter(self) -> bool:
        return selector_filter_supported(await self._welcome())

    # -- documents --------------------------------------------------------
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
        check_rev(rev, docid)
        params = query_params(
            rev=rev,
            revs=revs or None,
            revs_info=revs_info or None,
            conflicts=conflicts or None,
            deleted_conflicts=deleted_conflicts or None,
            latest=latest or None,
            attachments=attachments or None,
        )
        if open_revs is not None:
            params["open_revs"] = "all" if open_revs == "all" else json_param(list(open_revs))
        result = await self._http.request(
            "GET", self._path + doc_path(docid), params=params, docid=docid, rev=rev
        )
        if open_revs is not None:
            found = expect_list(result, f"open_revs of {docid!r}")
            return leaf_order(found) if open_revs == "all" else found
        doc = expect_dict(result, f"document {docid!r}")
        if deleted_conflicts and rev is None and "_deleted_conflicts" not in doc:
            await self._add_deleted_conflicts(doc)
        return doc

    async def _add_deleted_conflicts(self, doc: Doc) -> None:
        """pouchdb-server ignores ``deleted_conflicts``: list the deleted leaves ourselves."""
        if not await self._is_pouchdb_server():
            return  # CouchDB omits the field when there are none
        leaves = expect_list(
            await self._http.request(
                "GET",
                self._path + doc_path(doc["_id"]),
                params={"open_revs": "all"},
                docid=doc["_id"],
            ),
            "open_revs",
        )
        deleted = deleted_leaves(leaves, doc["_rev"])
        if deleted:
            doc["_deleted_conflicts"] = deleted

    async def put(self, doc: Mapping[str, Any]) -> Doc:
        # Checked here as CouchDB checks them: some CouchDB-protocol servers accept these.
        if not isinstance(doc, Mapping):
            raise BadRequestError("Document must be a JSON object")
        docid = doc.get("_id")
        rev = doc.get("_rev")
        if docid == "":
            raise BadRequestError("Document id must not be empty")
        if too_large(doc):
            raise DocumentTooLargeError("document is larger than max_document_size", docid=docid)
        # An id that is not a string is POSTed so that the server refuses it itself.
        if isinstance(docid, str):
            method, path = "PUT", self._path + doc_path(docid)
        else:
            method, path = "POST", self._path
        result = await self._http.request(
            method,
            path,
            body=doc,
            docid=docid if isinstance(docid, str) else None,
            rev=rev if isinstance(rev, str) else None,
        )
        return expect_dict(result, "the write result")

    async def delete(self, docid: str, rev: str) -> Doc:
        check_rev(rev, docid)
        result = await self._http.request(
            "DELETE", self._path + doc_path(docid), params={"rev": rev}, docid=docid, rev=rev
        )
        return expect_dict(result, "the delete result")

    async def bulk_docs(
        self, docs: Sequence[Mapping[str, Any]], *, new_edits: bool = True
    ) -> list[Doc]:
        """``_bulk_docs``, in requests of at most :attr:`max_request_bytes` (one document
        larger than that goes alone). Each document is encoded once: for the size checks
        and for the body."""
        refused: dict[int, Doc] = {}
        multipart: list[int] = []
        parts: list[bytes] = []
        for i, doc in enumerate(docs):
            # Replicated first revisions with attachment data go as multipart/related, raw
            # bytes rather than base64 in JSON, as CouchDB's replicator writes them.
            as_multipart = not new_edits and isinstance(doc, Mapping) and sent_as_multipart(doc)
            encoded = None if as_multipart else json_param(doc).encode()
            if too_large(doc, encoded):
                docid = doc.get("_id") if isinstance(doc, Mapping) else None
                refused[i] = {
                    "id": docid,
                    "error": "document_too_large",
                    "reason": "document is larger than max_document_size",
                }
            elif encoded is None:
                multipart.append(i)
            else:
                parts.append(encoded)
        answer: list[Any] = []
        flag = b"true" if new_edits else b"false"
        for group in _byte_groups(parts, self.max_request_bytes):
            body = RawJSON(b'{"docs":[' + b",".join(group) + b'],"new_edits":' + flag + b"}")
            answer += expect_list(
                await self._http.request("POST", self._path + "/_bulk_docs", body=body),
                "the _bulk_docs result",
            )
        if multipart:
            # A few at a time: each is one request, and the server's work on one overlaps
            # the transfer of the next.
            gate = asyncio.Semaphore(MULTIPART_CONCURRENCY)

            async def put(i: int) -> tuple[int, Doc]:
                async with gate:
                    return i, await self._put_replicated_with_attachments(docs[i])

            for i, row in await asyncio.gather(*(put(i) for i in multipart)):
                if row:
                    refused[i] = row
        if not new_edits:
            return list(refused.values()) + answer
        if len(answer) != len(parts):
            raise PeerError("_bulk_docs answered a different number of results than docs sent")
        it = iter(answer)
        return [refused[i] if i in refused else next(it) for i in range(len(docs))]

    async def _put_replicated_with_attachments(self, doc: Mapping[str, Any]) -> Doc:
        """Write one revision (``new_edits=false``) as ``multipart/related``; ``{}`` when
        stored, else the ``_bulk_docs`` row of its refusal (validate_doc_update's 403)."""
        docid, rev = doc.get("_id"), doc.get("_rev")
        if not isinstance(docid, str) or not isinstance(rev, str):
            return {"id": docid, "error": "bad_request", "reason": "no _id or _rev"}
        content_type, body = multipart_related(doc)
        try:
            await self._http.request(
                "PUT",
                self._path + doc_path(docid),
                params={"new_edits": "false"},
                content=body,
                headers={"Content-Type": content_type},
                docid=docid,
                rev=rev,
            )
        except ForbiddenError as exc:
            return {"id": docid, "rev": rev, "error": "forbidden", "reason": exc.reason}
        return {}

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
        params = query_params(
            include_docs=include_docs or None,
            startkey=json_param(startkey) if startkey is not None else None,
            endkey=json_param(endkey) if endkey is not None else None,
            limit=limit,
            skip=skip or None,
            descending=descending or None,
        )
        path = self._path + "/_all_docs"
        if keys is not None:
            result = await self._http.request(
                "POST", path, params=params, body={"keys": list(keys)}
            )
        else:
            result = await self._http.request("GET", path, params=params)
        return expect_dict(result, "the _all_docs result")

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
        if selector is not None and doc_ids is not None:
            raise BadRequestError("changes: give doc_ids or selector, not both")
        if selector is not None and not await self.supports_selector_filter():
            # Never send it: pouchdb-server crashes on a filter it does not know.
            raise BadRequestError("this server has no _selector filter for _changes")
        params = query_params(
            since=since if since is not None else 0,
            limit=limit,
            style=style if style != "main_only" else None,
            include_docs=include_docs or None,
            conflicts=conflicts or None,
        )
        call_timeout: float | None = None
        if feed == "longpoll":
            wait = timeout if timeout is not None else _LONGPOLL_DEFAULT
            params.update(feed="longpoll", timeout=str(int(wait * 1000)))
            call_timeout = wait + self.longpoll_margin
        path = self._path + "/_changes"
        body: Doc | None = None
        if doc_ids is not None:
            params["filter"], body = "_doc_ids", {"doc_ids": list(doc_ids)}
        elif selector is not None:
            params["filter"], body = "_selector", {"selector": dict(selector)}
        try:
            result = await self._http.request(
                "POST" if body is not None else "GET",
                path,
                params=params,
                body=body,
                timeout=call_timeout,
            )
        except DeadlineError:
            if feed == "longpoll":
                return {"results": [], "last_seq": since}  # nothing happened in time
            raise
        feed_result = expect_dict(result, "the _changes result")
        expect_list(feed_result.get("results"), "_changes results")
        if "last_seq" not in feed_result:
            raise PeerError("the _changes result has no last_seq")
        return feed_result

    async def revs_diff(self, mapping: Mapping[str, Sequence[str]]) -> Doc:
        body = {docid: list(revs) for docid, revs in mapping.items()}
        result = await self._http.request("POST", self._path + "/_revs_diff", body=body)
        return expect_dict(result, "the _revs_diff result")

    async def bulk_get(
        self, requests: Sequence[Mapping[str, Any]], *, revs: bool = True, attachments: bool = False
    ) -> Doc:
        """``_bulk_get``, one result per request in request order. Requests naming the same id
        go in separate rounds (pouchdb-server merges them). Without ``_bulk_get`` on the server,
        the same answer is built from ``open_revs`` GETs."""
        results: list[Doc | None] = [None] * len(requests)
        for batch in bulk_get_rounds(requests):
            entries = await self._bulk_get_round([requests[i] for i in batch], revs, attachments)
            for i, entry in zip(batch, entries, strict=True):
                results[i] = entry
        return {"results": results}

    async def _bulk_get_round(
        self, requests: list[Mapping[str, Any]], revs: bool, attachments: bool
    ) -> list[Doc]:
        if any(r.get("rev") is None for r in requests) and await self._is_pouchdb_server():
            # pouchdb-server answers a request without rev with the winner alone; CouchDB with
            # every leaf. Those requests go as open_revs=all GETs, the rest as _bulk_get.
            id_only = [i for i, r in enumerate(requests) if r.get("rev") is None]
            rest = [i for i, r in enumerate(requests) if r.get("rev") is not None]
            out: list[Doc | None] = [None] * len(requests)
            for i in id_only:
                out[i] = await self._open_revs_fallback(requests[i], revs, attachments)
            if rest:
                answered = await self._bulk_get_round(
                    [requests[i] for i in rest], revs, attachments
                )
                for i, entry in zip(rest, answered, strict=True):
                    out[i] = entry
            done = [entry for entry in out if entry is not None]
            assert len(done) == len(requests)
            return done
        if self.bulk_get_supported:
            params = query_params(revs=revs, attachments=attachments or None)
            body = {"docs": [dict(r) for r in requests]}
            response = await self._http.send(
                "POST", self._path + "/_bulk_get", params=params, body=body, check=False
            )
            if response.status_code < 400:
                return bulk_get_results(decode_json(response, "POST"), requests)
            reason = response.text.lower()
            if response.status_code in (404, 405) or (
                response.status_code == 400 and "not supported" in reason
            ):
                self.bulk_get_supported = False
            else:
                raise self._http.error(
                    "POST", self.location + "/_bulk_get", response, docid=None, rev=None
                )
        return [await self._open_revs_fallback(r, revs, attachments) for r in requests]

    async def _open_revs_fallback(
        self, req: Mapping[str, Any], revs: bool, attachments: bool
    ) -> Doc:
        docid, rev = req["id"], req.get("rev")
        call = "GET ?open_revs"
        if rev is None:  # CouchDB's _bulk_get: open_revs=all
            try:
                leaves = await self.get(docid, open_revs="all", revs=revs, attachments=attachments)
            except NotFoundError:
                leaves = []
            entries = [bulk_get_entry(d, docid, None, call) for d in leaves]
            return {"id": docid, "docs": entries or [missing_entry(docid, None)]}
        found = await self.get(docid, open_revs=[rev], revs=revs, attachments=attachments)
        if not found:
            raise PeerError(f"{call} answered nothing for {docid!r} {rev}")
        return {"id": docid, "docs": [bulk_get_entry(d, docid, rev, call) for d in found]}

    # -- _local documents -------------------------------------------------
    @staticmethod
    def _local_id(docid: str) -> str:
        return docid if docid.startswith("_local/") else "_local/" + docid

    async def get_local(self, docid: str) -> Doc:
        docid = self._local_id(docid)
        return expect_dict(
            await self._http.request("GET", self._path + doc_path(docid), docid=docid),
            f"local document {docid!r}",
        )

    async def put_local(self, doc: Mapping[str, Any]) -> Doc:
        docid = self._local_id(str(doc.get("_id", "")))
        body = dict(doc, _id=docid)
        return expect_dict(
            await self._http.request("PUT", self._path + doc_path(docid), body=body, docid=docid),
            "the write result",
        )

    async def delete_local(self, docid: str, rev: str | None = None) -> Doc:
        docid = self._local_id(docid)
        if rev is None:
            rev = (await self.get_local(docid)).get("_rev")
        params = query_params(rev=rev)
        return expect_dict(
            await self._http.request(
                "DELETE", self._path + doc_path(docid), params=params, docid=docid
            ),
            "the delete result",
        )

    # -- settings ---------------------------------------------------------
    async def revs_limit(self) -> int:
        value = await self._http.request("GET", self._path + "/_revs_limit")
        return int(expect(value, int, "_revs_limit"))

    async def set_revs_limit(self, n: int) -> None:
        await self._http.request("PUT", self._path + "/_revs_limit", body=int(n))

    # -- attachments ------------------------------------------------------
    def _attachment_path(self, docid: str, name: str) -> str:
        return self._path + doc_path(docid) + "/" + quote(name, safe="")

    async def get_attachment(
        self, docid: str, name: str, *, rev: str | None = None
    ) -> tuple[bytes, str]:
        check_rev(rev, docid)
        response = await self._http.send(
            "GET",
            self._attachment_path(docid, name),
            params=query_params(rev=rev),
            headers={"Accept": "*/*"},
            docid=docid,
            rev=rev,
        )
        return response.content, response.headers.get("Content-Type", "application/octet-stream")

    async def put_attachment(
        self, docid: str, name: str, data: bytes, content_type: str, *, rev: str | None = None
    ) -> Doc:
        check_rev(rev, docid)
        result = await self._http.request(
            "PUT",
            self._attachment_path(docid, name),
            params=query_params(rev=rev),
            content=data,
            headers={"Content-Type": content_type},
            docid=docid,
            rev=rev,
        )
        return expect_dict(result, "the attachment write result")

    # -- queries ----------------------------------------------------------
    async def find(
        self,
        selector: Mapping[str, Any],
        *,
        sort: Sequence[str | Mapping[str, str]] | None = None,
        limit: int | None = None,
        skip: int = 0,
        fields: Sequence[str] | None = None,
    ) -> Doc:
        """``POST /_find``. CouchDB sorts only along a JSON index: when it says there is none,
        one is created on the sort fields (a design document, as CouchDB's ``_index`` makes)
        and the query asked again; as in CouchDB, the selector should constrain those fields."""
        body: Doc = {"selector": dict(selector), "limit": _FIND_ALL if limit is None else limit}
        if sort:
            body["sort"] = [s if isinstance(s, str) else dict(s) for s in sort]
        if skip:
            body["skip"] = skip
        if fields is not None:
            body["fields"] = list(fields)
        path = self._path + "/_find"
        try:
            result = await self._http.request("POST", path, body=body)
        except BadRequestError as exc:
            if not sort or "index" not in exc.reason.lower():
                raise
            # CouchDB sorts only along an index: make the one this sort needs, then ask again.
            fields = [f if isinstance(f, str) else next(iter(f)) for f in body["sort"]]
            await self._http.request(
                "POST", self._path + "/_index", body={"index": {"fields": fields}, "type": "json"}
            )
            result = await self._http.request("POST", path, body=body)
        return expect_dict(result, "the _find result")


def _byte_groups(parts: list[bytes], max_bytes: int) -> list[list[bytes]]:
    """``parts`` in order, in groups of at most ``max_bytes`` (a larger part alone)."""
    groups: list[list[bytes]] = []
    size = 0
    for part in parts:
        if not groups or size + len(part) > max_bytes:
            groups.append([])
            size = 0
        groups[-1].append(part)
        size += len(part) + 1
    return groups
