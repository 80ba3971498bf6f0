"""Which failures are worth retrying, and how long to wait before the next try.

Capped exponential back-off with "full jitter" (the delay is drawn uniformly
below the exponential cap), so that many laptops coming back online at once do
not hammer the county server in step. PouchDB's ``pouchdb-replication/backoff``
does the same job with a randomised doubling.
"""

from __future__ import annotations

import random

from sync.errors import NetworkError, PeerError
from sync.replication.answers import RevisionUnavailableError

#: 408 Request Timeout, and 429 Too Many Requests: CouchDB 3 sheds load with it, and its
#: own replicator backs off and retries (``couch_replicator_httpc``).
_RETRY_LATER = frozenset({408, 429})


def is_transient(exc: BaseException) -> bool:
    """A network failure, a 5xx answer or "try later": the same request may well succeed later.

    A malformed answer (bad JSON, wrong shape) is a :class:`PeerError` too, but
    retrying it would only repeat it, so it is not transient.
    """
    if isinstance(exc, NetworkError | RevisionUnavailableError):
        return True
    if not isinstance(exc, PeerError):
        return False
    status = exc.http_status
    if status in _RETRY_LATER:
        return True
    return status is not None and 500 <= status < 600 and status != 501


class Backoff:
    """Delays for consecutive failures: ``initial * 2**n`` capped at ``maximum``, jittered."""

    def __init__(self, initial: float, maximum: float, *, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before retrying."""
        cap = min(self.maximum, self.initial * (2**self.failures))
        self.failures += 1
        # Never less than a tenth of the cap: a zero delay would retry in a tight loop.
        return self._rng.uniform(cap / 10, cap)

    def reset(self) -> None:
        """Progress was made: the next failure starts again from the initial delay."""
        self.failures = 0
