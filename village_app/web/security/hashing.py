"""How many password hashes run at once, and how many logins may wait for one.

A login costs one scrypt hash: tens of milliseconds of a core and 16 MB of memory (n=2**14,
r=8), for an unknown name as much as for a real one. Hashed on the event loop, 200 logins
with made-up names stopped the server for 21 s; hashed each in a thread of its own, they
would want 3 GB at once. So a hash runs in a worker thread
(:func:`village_app.accounts.verify_user`), at most ``threads`` at a time
(:attr:`PasswordHashing.limiter`), and at most ``queue`` more logins wait for their turn.
A login beyond those is turned away at once with 503 and ``Retry-After``:

* not left to wait without a bound: each waiting login holds a connection, its form and a
  coroutine, and during a flood the secretary's own login would queue behind all of them,
  minutes later, instead of being told to try again in a second;
* not turned away whenever a hash is running: two people logging in at the same moment,
  or a double click, must both get in;
* 503 rather than 429: the server is busy, which says nothing about this client (the
  name's throttle answers 429 when a name has failed too often).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from anyio import CapacityLimiter


class PasswordHashing:
    def __init__(self, threads: int, queue: int) -> None:
        #: Passed to each hash: at most ``threads`` run at once, the others wait in order.
        self.limiter = CapacityLimiter(threads)
        self.max_admitted = threads + queue
        self._admitted = 0

    @property
    def busy(self) -> bool:
        """True when a login would have neither a thread nor a place in the queue."""
        return self._admitted >= self.max_admitted

    @contextlib.contextmanager
    def admitted(self) -> Iterator[CapacityLimiter]:
        """One login's place, from before its account is read until its hash is done (checked
        with :attr:`busy` just before, with no await between: the event loop makes it atomic)."""
        self._admitted += 1
        try:
            yield self.limiter
        finally:
            self._admitted -= 1
