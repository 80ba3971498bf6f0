"""The CouchDB replication protocol between any two :class:`sync.database.Database`.

Usage::

    rep = await sync.replicate("village_110.sqlite", "https://county/village_110",
                               batch_size=500, on_event=show)   # show: async callback
    rep.state, rep.counters.docs_written, rep.denied

    live = sync.sync(laptop_db, county_db, continuous=True).start()
    ...
    live.cancel(); await live

Sources and targets are databases or locations (a ``.sqlite`` path, a CouchDB URL);
a failed replication raises its error when awaited (``rep.error`` keeps it).

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
