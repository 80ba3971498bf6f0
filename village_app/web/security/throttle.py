"""Login throttling: after too many failures for one username from one address, that
pair waits. In memory: one laptop, one process; a restart forgets, which is fine for
slowing down guessing at a keyboard."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_MAX_NAME = 128


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
        max_records: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.max_records = max_records
        self.window_seconds = window_seconds
        self._clock = clock
        self._records: dict[tuple[str, str], _Record] = {}

    @staticmethod
    def _key(username: str, address: str) -> tuple[str, str]:
        # Real names are at most 64 characters; a longer one is still throttled, but it must not
        # make every failure keep a megabyte-long key in memory.
        return (username.strip().casefold()[:_MAX_NAME], address[:_MAX_NAME])

    def _recent(self, key: tuple[str, str]) -> list[float]:
        record = self._records.get(key)
        if record is None:
            return []
        cutoff = self._clock() - self.window_seconds
        record.failures = [t for t in record.failures if t > cutoff]
        if not record.failures:
            del self._records[key]
            return []
        return record.failures

    def wait_seconds(self, username: str, address: str) -> float:
        """0 when a try is allowed, else how long until the oldest failure expires."""
        failures = self._recent(self._key(username, address))
        if len(failures) < self.max_failures:
            return 0.0
        return max(0.0, failures[-self.max_failures] + self.window_seconds - self._clock())

    def wait_minutes(self, username: str, address: str) -> int:
        return math.ceil(self.wait_seconds(username, address) / 60)

    def failed(self, username: str, address: str) -> None:
        key = self._key(username, address)
        self._recent(key)
        if key not in self._records and len(self._records) >= self.max_records:
            self._forget_some()
        self._records.setdefault(key, _Record()).failures.append(self._clock())

    def _forget_some(self) -> None:
        """Room for a new pair when a flood of made-up names filled the table: expired records
        first, then the oldest ones (dicts keep insertion order)."""
        for key in list(self._records):
            self._recent(key)
        while len(self._records) >= self.max_records:
            del self._records[next(iter(self._records))]

    def succeeded(self, username: str, address: str) -> None:
        self._records.pop(self._key(username, address), None)
