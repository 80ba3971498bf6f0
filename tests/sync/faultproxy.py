"""A flaky link for tests: an HTTP proxy on 127.0.0.1 that fails requests at random.

It sits between a client and the peer and, for each request, seeded and up to
``max_faults`` times in all:

* ``drop``: closes the connection before forwarding (the request never happened);
* ``lost``: forwards the request, then closes without the answer (it happened,
  the client cannot know) — the case that catches non-idempotent retries;
* ``error``: answers ``500`` itself.

``answers`` maps a path fragment to a body sent back with ``200`` (or to a
``(status, body)`` pair) instead of forwarding (a malformed or refusing peer);
``fault_rate`` can be changed at any time. With ``hold`` set to a path fragment, the
answer to a matching request waits, once the peer has the whole request, until
``release`` is set (``holding`` is set meanwhile): a request caught mid-way.

Every request goes upstream on its own connection with ``Connection: close``
so that one fault spoils exactly one request.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
# bench/ is not a package: the relay both proxies share lives there.
from linkproxy import TcpRelay

_FAULTS = ("drop", "lost", "error")

#: What ``answers`` may give for a path: a body sent with 200, or (status, body).
Answer = bytes | tuple[int, bytes]


class FaultProxy(TcpRelay):
    def __init__(
        self,
        upstream_url: str,
        *,
        seed: int,
        fault_rate: float = 0.15,
        max_faults: int = 20,
        answers: dict[str, Answer] | None = None,
    ) -> None:
        super().__init__(upstream_url)
        self._rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.max_faults = max_faults
        self.answers = dict(answers or {})
        self.faults: Counter[str] = Counter()
        self.requests = 0
        self.answered = 0
        self.hold: str | None = None
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    def _pick_fault(self) -> str | None:
        if sum(self.faults.values()) >= self.max_faults:
            return None
        if self._rng.random() >= self.fault_rate:
            return None
        return self._rng.choice(_FAULTS)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            self.requests += 1
            target = request.split(b" ", 2)[1].decode("latin-1")
            for fragment, answer in self.answers.items():
                if fragment in target:
                    self.answered += 1
                    status, body = answer if isinstance(answer, tuple) else (200, answer)
                    await _respond(writer, status, _PHRASES.get(status, "Answer"), body)
                    return
            fault = self._pick_fault()
            if fault:
                self.faults[fault] += 1
            if fault == "drop":
                return
            if fault == "error":
                body = b'{"error":"internal_server_error","reason":"fault proxy"}'
                await _respond(writer, 500, _PHRASES[500], body)
                return
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
            try:
                up_writer.write(request)
                await up_writer.drain()
                if fault == "lost":
                    await up_reader.read()  # let the peer finish, then say nothing
                    return
                if self.hold is not None and self.hold in target:
                    self.holding.set()
                    await self.release.wait()
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


_PHRASES = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error"}


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
