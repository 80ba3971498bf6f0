"""Wake long-polling ``changes`` callers when this process writes.

Waiters are keyed by the database file's real path, so a write through one
:class:`EmbeddedDatabase` wakes a longpoll on another object for the same
file, on any event loop. Writes from other processes are noticed by polling
(the longpoll re-reads ``update_seq`` a few times a second).
"""

from __future__ import annotations

import asyncio
import threading

_lock = threading.Lock()
_waiters: dict[str, set[asyncio.Future[None]]] = {}


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def notify(key: str) -> None:
    with _lock:
        futures = list(_waiters.get(key, ()))
    for fut in futures:
        loop = fut.get_loop()
        if not loop.is_closed():
            loop.call_soon_threadsafe(_wake, fut)


async def wait(key: str, timeout: float) -> None:
    """Return after a write to ``key`` in this process, or after ``timeout`` seconds."""
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    with _lock:
        _waiters.setdefault(key, set()).add(fut)
    try:
        await asyncio.wait({fut}, timeout=timeout)
    finally:
        with _lock:
            waiters = _waiters.get(key)
            if waiters is not None:
                waiters.discard(fut)
                if not waiters:
                    del _waiters[key]
