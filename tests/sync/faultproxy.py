"""A flaky link for tests: an HTTP proxy on 127.0.0.1 that fails requests at random.

It sits between a client and the peer and, for each request, seeded and up to
``max_faults`` times in all:

* ``drop``: closes the connection before forwarding (the request never happened);
* ``lost``: forwards the request, then closes without the answer (it happened,
  the client cannot know) — the case that catches non-idempotent retries;
* ``error``: answers ``500`` itself.

``answers`` maps a path fragment to a body sent back with ``200`` instead of
forwarding (a malformed peer); ``fault_rate`` can be changed at any time.

Every request goes upstream on its own connection with ``Connection: close``
so that one fault spoils exactly one request.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

_FAULTS = ("drop", "lost", "error")


class FaultProxy:
    def __init__(
        self,
        upstream_url: str,
        *,
        seed: int,
        fault_rate: float = 0.15,
        max_faults: int = 20,
        answers: dict[str, bytes] | None = None,
    ) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = parts
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.max_faults = max_faults
        self.answers = dict(answers or {})
        self.faults: Counter[str] = Counter()
        self.requests = 0
        self.answered = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The upstream URL (credentials and path kept) with the proxy's host and port."""
        p = self._upstream
        auth = ""
        if p.username is not None:
            auth = p.username + (f":{p.password}" if p.password is not None else "") + "@"
        return urlunsplit((p.scheme, f"{auth}127.0.0.1:{self.port}", p.path, p.query, ""))

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _pick_fault(self) -> str | None:
        if sum(self.faults.values()) >= self.max_faults:
            return None
        if self._rng.random() >= self.fault_rate:
            return None
        return self._rng.choice(_FAULTS)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        with contextlib.suppress(asyncio.CancelledError):  # quiet when stopped at shutdown
            await self._serve(reader, writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            self.requests += 1
            target = request.split(b" ", 2)[1].decode("latin-1")
            for fragment, body in self.answers.items():
                if fragment in target:
                    self.answered += 1
                    await _respond(writer, 200, "OK", body)
                    return
            fault = self._pick_fault()
            if fault:
                self.faults[fault] += 1
            if fault == "drop":
                return
            if fault == "error":
                body = b'{"error":"internal_server_error","reason":"fault proxy"}'
                await _respond(writer, 500, "Internal Server Error", body)
                return
            up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
            try:
                up_writer.write(request)
                await up_writer.drain()
                if fault == "lost":
                    await up_reader.read()  # let the peer finish, then say nothing
                    return
                while chunk := await up_reader.read(65536):
                    writer.write(chunk)
                    await writer.drain()
            finally:
                up_writer.close()
                with contextlib.suppress(Exception):
                    await up_writer.wait_closed()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _respond(writer: asyncio.StreamWriter, status: int, phrase: str, body: bytes) -> None:
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request from the client, re-headed with ``Connection: close``."""
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
