"""The county's server behind a link the tests control: a TCP relay in front of the peer that
can be slowed down (bytes a second, as a village link), cut (every connection closed, new
ones refused, as when the network drops) and restored, or made to answer every request with
the welcome of an old CouchDB (the laptop reads the welcome first and stops there).

``ThreadedProxy`` runs one on its own event loop in a thread, for tests whose server runs
in another process or thread (the browser tests, a TestClient app).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
# bench/ is not a package: the relay every test proxy shares lives there.
from linkproxy import TcpRelay, _Link, _pipe

OLD_WELCOME = {
    "couchdb": "Welcome",
    "version": "1.6.1",
    "vendor": {"name": "The Apache Software Foundation"},
}


class CountyProxy(TcpRelay):
    def __init__(self, upstream_url: str, *, bandwidth: float | None = None) -> None:
        super().__init__(upstream_url)
        #: One link each way, shared by every connection (as one village line is).
        self.up = _Link(bandwidth, 0.0)
        self.down = _Link(bandwidth, 0.0)
        self.is_cut = False
        self.old_welcome = False
        self.connections = 0
        self._open: set[asyncio.StreamWriter] = set()

    def cut(self) -> None:
        """Drop every connection and refuse new ones, as a lost link does."""
        self.is_cut = True
        for writer in list(self._open):
            with contextlib.suppress(Exception):
                writer.transport.abort()

    def restore(self) -> None:
        self.is_cut = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            writer.transport.abort()
            return
        self.connections += 1
        if self.old_welcome:
            await _answer_old_welcome(reader, writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            writer.close()
            return
        self._open.update((writer, up_writer))
        try:
            await asyncio.gather(
                _pipe(reader, up_writer, self.up), _pipe(up_reader, writer, self.down)
            )
        finally:
            # Both closed before waiting on either: cancelled while waiting (the proxy
            # shutting down), the other would be left open.
            for w in (writer, up_writer):
                self._open.discard(w)
                w.close()
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    await w.wait_closed()


async def _answer_old_welcome(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps(OLD_WELCOME).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


class ThreadedProxy:
    """A :class:`CountyProxy` on an event loop of its own thread."""

    def __init__(self, upstream_url: str, **options: float | None) -> None:
        self.proxy = CountyProxy(upstream_url, **options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> CountyProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.__aenter__(), self._loop).result(10)
        return self.proxy

    def call(self, name: str) -> None:
        """Call a method of the proxy (cut, restore) on its own loop."""
        self._loop.call_soon_threadsafe(getattr(self.proxy, name))

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.__aexit__(None, None, None), self._loop).result(
            10
        )
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@contextlib.contextmanager
def threaded(
    upstream_url: str, **options: float | None
) -> Iterator[tuple[CountyProxy, ThreadedProxy]]:
    runner = ThreadedProxy(upstream_url, **options)
    with runner as proxy:
        yield proxy, runner
