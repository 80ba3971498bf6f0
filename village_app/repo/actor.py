"""Who writes, and when: every write function takes an :class:`Actor`.

The web passes ``Actor("username")``; the demo generator passes a fixed clock
and a seeded random source so that the same documents come out every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from random import Random

from village_app.domain.dates import now_utc, utc_stamp
from village_app.repo.ids import make_id, ulid


@dataclass
class Actor:
    user: str
    clock: Callable[[], datetime] = now_utc
    rng: Random | None = field(default=None, repr=False)
    _last: str | None = field(default=None, init=False, repr=False)

    def now(self) -> datetime:
        return self.clock()

    def stamp(self) -> str:
        return utc_stamp(self.clock())

    def new_id(self, doc_type: str, village: str) -> str:
        """A new id; ids from one actor sort in the order they were made."""
        self._last = ulid(self.clock(), self.rng, after=self._last)
        return make_id(doc_type, village, self._last)
