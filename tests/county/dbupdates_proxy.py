"""A stand-in for CouchDB's ``_db_updates``: an HTTP proxy in front of the test peer that
serves the feed from the requests it forwards.

pouchdb-server has no ``_db_updates`` (it answers 400), so the indexer's way of
following a CouchDB server could not otherwise run in CI. This proxy is NOT CouchDB's
feed: it knows only of what went through it. Every request is forwarded to the peer
as it came, except ``GET /_db_updates``, which it answers itself, as Apache CouchDB 3
does: ``feed=normal`` or ``longpoll`` (waiting up to ``timeout`` ms), ``since`` a
sequence it gave, ``now``, or nothing for everything; rows ``{"db_name", "type",
"seq"}``, one per database and type, the latest (as CouchDB's ``_global_changes``
keeps them). Its sequences are opaque strings, ``"<n>-<run id>"``: the indexer may
only hand them back.

What counts as an event, when the peer answered it with 2xx: ``PUT /db`` created,
``DELETE /db`` deleted, and any other write into a database (documents, ``_bulk_docs``,
attachments, ``_local`` documents too) updated.

``requests`` counts what was asked by kind (``_db_updates``, ``_all_dbs``, ``db_info``,
``other``) so that a test can tell which way the indexer went. Databases named in
``refuse`` answer 400 to everything but ``GET /db`` (a database the indexer cannot
read, for as long as the test says).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
# bench/ is not a package: the relay every test proxy shares lives there.
from linkproxy import TcpRelay

_WRITES = frozenset({"PUT", "POST", "DELETE"})
#: POSTs that read rather than write.
_READ_POSTS = frozenset({"_all_docs", "_bulk_get", "_revs_diff", "_changes", "_find", "_explain"})


class DbUpdatesProxy(TcpRelay):
    def __init__(self, upstream_url: str) -> None:
        super().__init__(upstream_url)
        self.run_id = uuid.uuid4().hex[:8]
        self.n = 0
        #: (db name, type) -> the sequence number of its latest event
        self.latest: dict[tuple[str, str], int] = {}
        self.requests: Counter[str] = Counter()
        self._changed = asyncio.Condition()
        #: While set, every connection is closed at once (a server that went away).
        self.down = False
        self.refuse: set[str] = set()

    def seq(self, n: int) -> str:
        return f"{n}-{self.run_id}"

    def _parse_since(self, value: str | None) -> int:
        if value in (None, "", "0"):
            return 0
        if value == "now":
            return self.n
        number, _, run = str(value).partition("-")
        if run != self.run_id or not number.isdigit():
            return 0  # a sequence it never gave: everything, as CouchDB answers
        return int(number)

    async def _record(self, db: str, kind: str) -> None:
        async with self._changed:
            self.n += 1
            self.latest[(db, kind)] = self.n
            self._changed.notify_all()

    def _rows(self, since: int) -> list[dict[str, str]]:
        found = sorted((n, db, kind) for (db, kind), n in self.latest.items() if n > since)
        return [{"db_name": db, "type": kind, "seq": self.seq(n)} for n, db, kind in found]

    async def _db_updates(self, query: dict[str, str]) -> bytes:
        since = self._parse_since(query.get("since"))
        if query.get("feed") == "longpoll":
            wait = int(query.get("timeout", "60000")) / 1000
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: self.n > since), timeout=wait
                    )
        rows = self._rows(since)
        last = rows[-1]["seq"] if rows else self.seq(max(since, 0))
        return json.dumps({"results": rows, "last_seq": last}).encode()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.down:
                return
            request = await _read_request(reader)
            if request is None:
                return
            method, target = request.split(b" ", 2)[:2]
            parts = urlsplit(target.decode("latin-1"))
            path = [unquote(p) for p in parts.path.split("/") if p]
            if method == b"GET" and path == ["_db_updates"]:
                self.requests["_db_updates"] += 1
                body = await self._db_updates(dict(parse_qsl(parts.query)))
                await _respond(writer, 200, body)
                return
            if path and path[0] in self.refuse and not (method == b"GET" and len(path) == 1):
                refusal = b'{"error":"bad_request","reason":"refused by the test proxy"}'
                await _respond(writer, 400, refusal)
                return
            if path == ["_all_dbs"]:
                self.requests["_all_dbs"] += 1
            elif method == b"GET" and len(path) == 1:
                self.requests["db_info"] += 1
            else:
                self.requests["other"] += 1
            status = await self._forward(request, writer)
            if 200 <= status < 300:
                await self._note(method.decode(), path)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _note(self, method: str, path: list[str]) -> None:
        if not path or path[0].startswith("_") or method not in _WRITES:
            return
        db = path[0]
        if len(path) == 1:
            if method == "PUT":
                await self._record(db, "created")
            elif method == "DELETE":
                await self._record(db, "deleted")
            else:
                await self._record(db, "updated")  # POST /db: a new document
        elif not (method == "POST" and path[1] in _READ_POSTS):
            await self._record(db, "updated")

    async def _forward(self, request: bytes, writer: asyncio.StreamWriter) -> int:
        """Send ``request`` to the peer, pass its whole answer back; returns its status."""
        up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        try:
            up_writer.write(request)
            await up_writer.drain()
            answer = await up_reader.read()  # Connection: close: the answer ends with EOF
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await up_writer.wait_closed()
        writer.write(answer)
        await writer.drain()
        try:
            return int(answer.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 0


async def _respond(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
    head = (
        f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request from the client, with ``Connection: close`` in place of its own."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head[:-4].split(b"\r\n")
    headers = [h for h in lines[1:] if not h.lower().startswith((b"connection:", b"keep-alive:"))]
    length = 0
    for h in headers:
        name, _, value = h.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return b"\r\n".join([lines[0], *headers, b"Connection: close"]) + b"\r\n\r\n" + body
