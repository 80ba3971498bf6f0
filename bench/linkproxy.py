"""A TCP proxy on 127.0.0.1 that behaves like a slow link, and counts what crosses it.

Each direction is one shared link of ``bandwidth`` bytes per second: a chunk
waits for the link to be free, takes ``len / bandwidth`` seconds to go out,
then ``rtt / 2`` to arrive. A new connection costs one extra round trip (the
TCP handshake). With no bandwidth and no delay it is a plain counting relay,
which the benchmark uses to measure bytes on the wire (HTTP headers included)
for every client alike.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit, urlunsplit

_CHUNK = 16_384


@dataclass
class _Link:
    bandwidth: float | None  # bytes per second; None is unlimited
    delay: float  # one-way seconds
    free_at: float = 0.0
    bytes: int = 0

    def schedule(self, size: int, now: float) -> float:
        """When a chunk of ``size`` bytes sent now arrives at the other end."""
        self.bytes += size
        if self.bandwidth is None:
            return now + self.delay
        start = max(now, self.free_at)
        self.free_at = start + size / self.bandwidth
        return self.free_at + self.delay


class TcpRelay:
    """A TCP server on 127.0.0.1 in front of an upstream HTTP server: its lifecycle, its
    URL and its connections. A subclass says what to do with each connection in
    :meth:`_serve` (this module's :class:`LinkProxy`; ``tests/sync/faultproxy.py``)."""

    def __init__(self, upstream_url: str) -> None:
        self._upstream = urlsplit(upstream_url)
        self.upstream_host = self._upstream.hostname or "127.0.0.1"
        self.upstream_port = self._upstream.port or 80
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The upstream URL (credentials and path kept) with the relay's host and port."""
        p = self._upstream
        auth = ""
        if p.username is not None:
            auth = p.username + (f":{p.password}" if p.password is not None else "") + "@"
        return urlunsplit((p.scheme, f"{auth}127.0.0.1:{self.port}", p.path, p.query, ""))

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
        # Ending quietly when cancelled at shutdown: asyncio's stream callback would
        # otherwise report the cancellation as an error.
        with contextlib.suppress(asyncio.CancelledError):
            await self._serve(reader, writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class LinkProxy(TcpRelay):
    def __init__(
        self, upstream_url: str, *, rtt: float = 0.0, bandwidth: float | None = None
    ) -> None:
        super().__init__(upstream_url)
        self.rtt = rtt
        self.up = _Link(bandwidth, rtt / 2)
        self.down = _Link(bandwidth, rtt / 2)
        self.connections = 0

    def reset_counts(self) -> None:
        self.up.bytes = self.down.bytes = self.connections = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            writer.close()
            return
        try:
            if self.rtt:
                await asyncio.sleep(self.rtt)  # the TCP handshake over the slow link
            await asyncio.gather(
                _pipe(reader, up_writer, self.up), _pipe(up_reader, writer, self.down)
            )
        finally:
            # Both closed before waiting on either: cancelled while waiting (the relay
            # shutting down), the other would be left open.
            for w in (writer, up_writer):
                w.close()
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    await w.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def deliver() -> None:
        while (item := await queue.get()) is not None:
            at, chunk = item
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()

    sender = asyncio.ensure_future(deliver())
    try:
        while chunk := await reader.read(_CHUNK):
            queue.put_nowait((link.schedule(len(chunk), loop.time()), chunk))
    except (ConnectionError, OSError):
        pass
    finally:
        queue.put_nowait(None)
        with contextlib.suppress(ConnectionError, OSError):
            await sender
