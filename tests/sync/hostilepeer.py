"""A fake CouchDB peer for tests: a raw HTTP/1.1 server on 127.0.0.1 that misbehaves on cue.

Real sockets, no mocks: the client under test goes through its whole HTTP stack
(httpx, timeouts, decoding) as it would against a county server gone wrong.

Left alone it serves one small database, ``/db``, well enough to be replicated
from and to: the welcome, ``HEAD``/``GET /db``, ``_changes`` (``since``,
``limit``, ``include_docs``, longpoll), ``_revs_diff``, ``_bulk_get``,
``_bulk_docs``, ``GET /db/<id>?open_revs=``, ``_local`` documents. Each of its
documents has one revision. ``peer.on[endpoint] = behaviour`` makes one endpoint
misbehave instead (the endpoints are the names :func:`_endpoint` gives); the
behaviours below stream without end, trickle, stay silent or answer what they
are given::

    async with HostilePeer() as peer:
        peer.add_docs(20)
        peer.on["_changes"] = endless(b'{"results":[', ROW)
        ...
        await peer.hung_up.wait()      # the client stopped reading

Every response is sent with ``Connection: close``; a streamed one chunked, as
CouchDB sends ``_changes``. ``stalled`` is set when a misbehaviour begins,
``hung_up`` when the client went away in the middle of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

DB = "db"
#: One ``_changes`` row, repeated by :func:`endless` to make a feed without end.
ROW = b'{"seq":1,"id":"doc:0000","changes":[{"rev":"1-0000"}]},'


def rev(gen: int, tag: str) -> str:
    return f"{gen}-{hashlib.md5(tag.encode()).hexdigest()}"


def revisions(*revs: str) -> dict[str, Any]:
    """A ``_revisions`` history, newest first, from full revision ids."""
    return {"start": int(revs[0].split("-", 1)[0]), "ids": [r.split("-", 1)[1] for r in revs]}


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, without the query
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes  # gzip already undone

    @property
    def endpoint(self) -> str:
        return _endpoint(self.path)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _endpoint(path: str) -> str:
    """``welcome``, ``db``, ``_changes``, ``_bulk_get``, ``_local``, ``doc``, ..."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "welcome"
    if len(parts) == 1:
        return "db"
    return parts[1] if parts[1].startswith("_") else "doc"


@dataclass
class Exchange:
    """One request and the connection to answer it on."""

    peer: HostilePeer
    request: Request
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    sent: int = 0

    async def send_json(self, status: int, body: Any) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {_PHRASES.get(status, 'Answer')}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        )
        self.writer.write(head.encode() + (data if self.request.method != "HEAD" else b""))
        await self.writer.drain()

    async def start_stream(self, status: int = 200) -> None:
        head = (
            f"HTTP/1.1 {status} {_PHRASES.get(status, 'Answer')}\r\n"
            "Content-Type: application/json\r\nConnection: close\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        self.writer.write(head.encode())
        await self.writer.drain()

    async def send_chunk(self, data: bytes) -> None:
        self.writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await self.writer.drain()
        self.sent += len(data)
        self.peer.streamed += len(data)

    async def until_hangup(self) -> None:
        """Return once the client closed its end (it stopped reading)."""
        with contextlib.suppress(ConnectionError):
            while await self.reader.read(65536):
                pass


Behaviour = Callable[[Exchange], Awaitable[None]]


def endless(prefix: bytes, item: bytes, *, most: int = 256 * 1024 * 1024) -> Behaviour:
    """Stream ``prefix`` then ``item`` over and over, until the client hangs up; past
    ``most`` bytes give up and close the connection mid-body (a guard for a client that
    never stops: the test fails on what it got instead of filling the memory)."""

    async def behaviour(ex: Exchange) -> None:
        ex.peer.stalled.set()
        await ex.start_stream()
        block = prefix + item * max(1, 65536 // len(item))

        async def stream() -> None:
            await ex.send_chunk(block)
            block_of_items = item * max(1, 65536 // len(item))
            while ex.sent < most:
                await ex.send_chunk(block_of_items)

        await _until_first(ex, stream())

    return behaviour


def trickle(first: bytes, *, every: float = 0.2) -> Behaviour:
    """Send ``first``, then one byte every ``every`` seconds, for ever (JSON whitespace, so
    that the answer is never wrong, only never finished)."""

    async def behaviour(ex: Exchange) -> None:
        ex.peer.stalled.set()
        await ex.start_stream()

        async def stream() -> None:
            await ex.send_chunk(first)
            while True:
                await asyncio.sleep(every)
                await ex.send_chunk(b" ")

        await _until_first(ex, stream())

    return behaviour


def silent() -> Behaviour:
    """Read the request and never answer."""

    async def behaviour(ex: Exchange) -> None:
        ex.peer.stalled.set()
        await ex.until_hangup()
        ex.peer.hung_up.set()

    return behaviour


def answer(status: int, body: Any) -> Behaviour:
    """Answer ``body`` (JSON) with ``status``, whatever was asked."""

    async def behaviour(ex: Exchange) -> None:
        await ex.send_json(status, body)

    return behaviour


def failing(times: int, status: int = 500) -> Behaviour:
    """Answer ``status`` to the first ``times`` requests, then serve normally."""
    left = [times]

    async def behaviour(ex: Exchange) -> None:
        if left[0] > 0:
            left[0] -= 1
            await ex.send_json(status, {"error": "unknown_error", "reason": "hostile peer"})
        else:
            await ex.peer.serve(ex)

    return behaviour


async def _until_first(ex: Exchange, stream: Awaitable[None]) -> None:
    """Run ``stream`` until it ends or the client hangs up, whichever comes first."""
    streaming = asyncio.ensure_future(stream)
    watching = asyncio.ensure_future(ex.until_hangup())
    try:
        await asyncio.wait({streaming, watching}, return_when=asyncio.FIRST_COMPLETED)
        if watching.done() or (
            streaming.done() and isinstance(streaming.exception(), ConnectionError)
        ):
            ex.peer.hung_up.set()
    finally:
        for task in (streaming, watching):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


@dataclass(eq=False)
class HostilePeer:
    """The fake server (see the module docstring)."""

    feed_bodies: bool = True  # whether _changes honours include_docs
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> its one revision
    order: list[str] = field(default_factory=list)  # ids in seq order (seq = index + 1)
    local: dict[str, dict[str, Any]] = field(default_factory=dict)
    on: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    streamed: int = 0
    stalled: asyncio.Event = field(default_factory=asyncio.Event)
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{DB}"

    def add_docs(self, n: int, *, prefix: str = "doc") -> None:
        for i in range(len(self.order), len(self.order) + n):
            docid = f"{prefix}:{i:04}"
            self.put({"_id": docid, "_rev": rev(1, docid), "n": i})

    def put(self, doc: dict[str, Any]) -> None:
        """Store ``doc`` (with its ``_rev``) as its document's only revision."""
        doc = dict(doc)
        doc.setdefault("_revisions", revisions(doc["_rev"]))
        if doc["_id"] in self.docs:
            self.order.remove(doc["_id"])
        self.docs[doc["_id"]] = doc
        self.order.append(doc["_id"])

    def seen(self, endpoint: str) -> list[Request]:
        return [r for r in self.requests if r.endpoint == endpoint]

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            request = await _read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            exchange = Exchange(self, request, reader, writer)
            behaviour = self.on.get(request.endpoint)
            await (behaviour(exchange) if behaviour is not None else self.serve(exchange))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    # -- a well-behaved CouchDB, as far as a replication goes ------------------
    async def serve(self, ex: Exchange) -> None:
        req = ex.request
        handler = getattr(self, "_" + req.endpoint.lstrip("_"), None)
        if handler is None:
            await ex.send_json(404, {"error": "not_found", "reason": "missing"})
            return
        await handler(ex)

    async def _welcome(self, ex: Exchange) -> None:
        await ex.send_json(200, {"couchdb": "Welcome", "version": "3.5.0"})

    async def _db(self, ex: Exchange) -> None:
        if ex.request.method == "PUT":
            await ex.send_json(412, {"error": "file_exists", "reason": "exists"})
            return
        info = {
            "db_name": DB,
            "doc_count": len(self.docs),
            "doc_del_count": 0,
            "update_seq": len(self.order),
        }
        await ex.send_json(200, info)

    async def _changes(self, ex: Exchange) -> None:
        q = ex.request.query
        since = int(q.get("since", "0") or 0)
        limit = int(q["limit"]) if "limit" in q else None
        ids = self.order[since:]
        if not ids and q.get("feed") == "longpoll":
            await ex.until_hangup()  # nothing will ever change
            return
        shown = ids[:limit] if limit is not None else ids
        rows = []
        for n, docid in enumerate(shown, start=since + 1):
            doc = self.docs[docid]
            row: dict[str, Any] = {"seq": n, "id": docid, "changes": [{"rev": doc["_rev"]}]}
            if q.get("include_docs") == "true" and self.feed_bodies:
                row["doc"] = {k: v for k, v in doc.items() if k != "_revisions"}
            rows.append(row)
        last = since + len(shown)
        await ex.send_json(
            200, {"results": rows, "last_seq": last, "pending": len(ids) - len(shown)}
        )

    async def _revs_diff(self, ex: Exchange) -> None:
        out = {}
        for docid, revs in (ex.request.json() or {}).items():
            held = self.docs.get(docid, {}).get("_rev")
            missing = [r for r in revs if r != held]
            if missing:
                out[docid] = {"missing": missing}
        await ex.send_json(200, out)

    async def _bulk_get(self, ex: Exchange) -> None:
        results = []
        for item in (ex.request.json() or {}).get("docs", []):
            doc = self.docs.get(item["id"])
            if doc is not None and item.get("rev") in (None, doc["_rev"]):
                entry: dict[str, Any] = {"ok": doc}
            else:
                entry = {
                    "error": {
                        "id": item["id"],
                        "rev": item.get("rev", "undefined"),
                        "error": "not_found",
                        "reason": "missing",
                    }
                }
            results.append({"id": item["id"], "docs": [entry]})
        await ex.send_json(200, {"results": results})

    async def _bulk_docs(self, ex: Exchange) -> None:
        body = ex.request.json() or {}
        for doc in body.get("docs", []):
            self.put(doc)
        await ex.send_json(201, [])

    async def _local(self, ex: Exchange) -> None:
        docid = ex.request.path.split("/", 2)[2]
        if ex.request.method == "GET":
            found = self.local.get(docid)
            await ex.send_json(
                200 if found else 404, found or {"error": "not_found", "reason": "missing"}
            )
            return
        doc = dict(ex.request.json() or {})
        n = int(str(doc.get("_rev", "0-0")).split("-")[1]) + 1
        doc["_rev"] = f"0-{n}"
        self.local[docid] = doc
        await ex.send_json(201, {"ok": True, "id": docid, "rev": doc["_rev"]})

    async def _doc(self, ex: Exchange) -> None:
        docid = ex.request.path.split("/", 2)[2]
        doc = self.docs.get(docid)
        asked = ex.request.query.get("open_revs")
        if doc is None:
            await ex.send_json(404, {"error": "not_found", "reason": "missing"})
        elif asked is None:
            await ex.send_json(200, doc)
        else:
            revs = [doc["_rev"]] if asked == "all" else json.loads(asked)
            await ex.send_json(
                200, [{"ok": doc} if r == doc["_rev"] else {"missing": r} for r in revs]
            )


_PHRASES = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    403: "Forbidden",
    404: "Object Not Found",
    412: "Precondition Failed",
    500: "Internal Server Error",
    501: "Not Implemented",
}


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    parts = urlsplit(target)
    return Request(method, unquote(parts.path), dict(parse_qsl(parts.query)), headers, body)
