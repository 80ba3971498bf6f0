"""Login throttling by account name, whatever the address.

A name may fail ``max_failures`` times in a row at no cost; from then on each failure makes
the name wait before its next try: ``first_delay`` seconds, doubling with every further
failure, never more than ``max_delay`` (the app's defaults: five free tries, then 1 s, 2 s,
4 s ... up to 5 minutes). A success clears the name, and so does ``forget_after`` (a day)
without a failure.

By name alone: on a field laptop every client is 127.0.0.1, and any local process can
connect from 127.0.0.2, .3 and so on, so a count per name and address was stepped around by
changing address. Locking the name for everyone means a guesser can make the real
secretary wait too; the cap keeps that wait to at most ``max_delay`` once the guessing
stops, and tries refused while the name waits are not counted (they are answered before
any password is checked), so they do not lengthen it. At the cap a guesser gets one try
every 5 minutes, under 300 a day.

In memory: one laptop, one process; a restart forgets, which is fine for slowing down
guessing. The table is bounded, and a flood of made-up names (one failure each) is evicted
before a name with many failures, so it cannot push a waiting name out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

_MAX_NAME = 128
#: 2**60 times any delay is past any cap; larger powers only overflow a float.
_MAX_DOUBLINGS = 60


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    #: No try before this (the throttle's clock).
    until: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 5,
        first_delay: float = 1.0,
        max_delay: float = 5 * 60,
        forget_after: float = 24 * 60 * 60,
        clock: Callable[[], float] = time.monotonic,
        max_records: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.max_records = max_records
        self._clock = clock
        self._records: dict[str, _Record] = {}

    @staticmethod
    def _key(username: str) -> str:
        # Real names are at most 64 characters; a longer one is still throttled, but it must not
        # make every failure keep a megabyte-long key in memory.
        return username.strip().casefold()[:_MAX_NAME]

    def _current(self, key: str) -> _Record | None:
        record = self._records.get(key)
        if record is not None and self._forgotten(record):
            del self._records[key]
            return None
        return record

    def _forgotten(self, record: _Record) -> bool:
        now = self._clock()
        return now >= record.until and now - record.last_failure > self.forget_after

    def wait_seconds(self, username: str) -> float:
        """0 when a try is allowed, else how long until the name may try again."""
        record = self._current(self._key(username))
        return 0.0 if record is None else max(0.0, record.until - self._clock())

    def failed(self, username: str) -> None:
        key = self._key(username)
        record = self._current(key)
        if record is None:
            if len(self._records) >= self.max_records:
                self._make_room()
            record = self._records[key] = _Record()
        now = self._clock()
        record.failures += 1
        record.last_failure = now
        extra = record.failures - self.max_failures
        if extra >= 0:
            delay = self.first_delay * 2 ** min(extra, _MAX_DOUBLINGS)
            record.until = now + min(self.max_delay, delay)

    def succeeded(self, username: str) -> None:
        self._records.pop(self._key(username), None)

    def _make_room(self) -> None:
        """The table is full (a flood of made-up names): drop the forgotten names, then the
        half with the fewest failures (the oldest first among equals). Halving keeps the
        cost of a flood at a sort per ``max_records / 2`` new names."""
        self._records = {k: r for k, r in self._records.items() if not self._forgotten(r)}
        if len(self._records) < self.max_records:
            return
        ranked = sorted(
            self._records.items(), key=lambda item: (item[1].failures, item[1].last_failure)
        )
        self._records = dict(ranked[len(ranked) // 2 :])
