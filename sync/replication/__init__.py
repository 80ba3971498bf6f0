"""The CouchDB replication protocol between any two :class:`sync.database.Database`.

One module per job, as in PouchDB's replication packages:

* :mod:`.options` — options and the replication id;
* :mod:`.state` — the :class:`Replication` object: state, counters, events, cancel;
* :mod:`.runner` — :func:`replicate` and :func:`sync`: attempts, retries;
* :mod:`.batch` — the batch loop (changes, revs_diff, fetch, write, checkpoint);
* :mod:`.fetch` — fetching missing revisions (``_bulk_get`` or ``open_revs``);
* :mod:`.checkpoint` — replication logs in ``_local`` documents on both sides;
* :mod:`.backoff` — what to retry and how long to wait;
* :mod:`.answers` — checks on the other side's answers;
* :mod:`.sides` — per-side error wording, cancellation checks, traffic counters.
"""

from __future__ import annotations

from sync.replication.answers import MalformedAnswerError
from sync.replication.options import ReplicationOptions, replication_id
from sync.replication.runner import SyncReplication, replicate, sync
from sync.replication.state import (
    Counters,
    Denial,
    Replication,
    ReplicationEvent,
    State,
)

__all__ = [
    "Counters",
    "Denial",
    "MalformedAnswerError",
    "Replication",
    "ReplicationEvent",
    "ReplicationOptions",
    "State",
    "SyncReplication",
    "replicate",
    "replication_id",
    "sync",
]
