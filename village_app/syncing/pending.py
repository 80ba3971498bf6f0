"""How many records the county does not have yet: the laptop's changes since the last point
the county is known to hold, whether it got there by the network (the push's replication
log, kept on the laptop as the replicator's ``_local`` checkpoint) or by a USB stick (the
checkpoint an acknowledged bundle moved)."""

from __future__ import annotations

from typing import Any

from sync.database import Database
from sync.errors import CouchError, NotFoundError
from sync.replication import ReplicationOptions, replication_id

#: The laptop's bundle checkpoint (see :mod:`village_app.bundle.laptop`).
BUNDLE_STATE_ID = "_local/cunyi_bundle_state"
#: Where the last push got to, as the run saw it: the replicator writes the laptop's copy of
#: its log after the county's, and drops it when a run is cancelled or fails, so that copy
#: may lag a batch behind what the county has.
SYNC_STATE_ID = "_local/cunyi_sync_state"


def push_log_id(local: Database, remote_location: str) -> str:
    """The push's replication log on the laptop: the id the replicator derives (a one-shot
    run and the automatic, continuous one share it)."""
    return "_local/" + replication_id(local.location, remote_location, ReplicationOptions())


async def _local_field(db: Database, docid: str, name: str) -> Any:
    try:
        doc = await db.get_local(docid)
    except NotFoundError:
        return None
    return doc.get(name)


async def synced_points(db: Database, remote_location: str | None) -> list[Any]:
    """The laptop sequences up to which the county holds everything (0: nothing yet)."""
    points: list[Any] = []
    if remote_location is not None:
        seq = await _local_field(db, push_log_id(db, remote_location), "source_last_seq")
        points.append(seq if seq is not None else 0)
        if await _local_field(db, SYNC_STATE_ID, "remote") == remote_location:
            pushed = await _local_field(db, SYNC_STATE_ID, "pushed_seq")
            if pushed is not None:
                points.append(pushed)
    acked = await _local_field(db, BUNDLE_STATE_ID, "acked_seq")
    if acked is not None:
        points.append(acked)
    return points or [0]


async def note_pushed(db: Database, remote_location: str, seq: Any) -> None:
    """Everything up to ``seq`` of the laptop is on the county (a push checkpointed it)."""
    try:
        doc = dict(await db.get_local(SYNC_STATE_ID))
    except NotFoundError:
        doc = {"_id": SYNC_STATE_ID}
    if doc.get("remote") == remote_location and doc.get("pushed_seq") == seq:
        return
    doc.update(remote=remote_location, pushed_seq=seq)
    await db.put_local(doc)


async def count_pending(db: Database, remote_location: str | None) -> int:
    """Records changed on the laptop since the furthest point the county holds."""
    counts = []
    for since in await synced_points(db, remote_location):
        try:
            feed = await db.changes(since=since)
        except CouchError:
            feed = await db.changes()
        counts.append(sum(1 for row in feed["results"] if not str(row["id"]).startswith("_")))
    return min(counts)
