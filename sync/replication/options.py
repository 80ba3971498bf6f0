"""Replication options and the replication id derived from them.

The id follows the idea of CouchDB's ``couch_replicator_ids`` and PouchDB's
``pouchdb-generate-replication-id``: a hash of what decides *which* documents
flow (source, target, filter), so that a rerun with the same inputs finds the
checkpoints of the previous run. Options that only change *how* they flow
(batch size, continuous, retries) are left out, as CouchDB leaves out
``continuous``: a one-shot run and a continuous one share their checkpoints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sync.errors import BadRequestError

#: Bumped when the id recipe changes, so old checkpoints are not misread.
REPLICATION_ID_VERSION = 1


@dataclass(frozen=True)
class ReplicationOptions:
    """How one replication runs. Every field has a default that suits a laptop."""

    #: Changes read, diffed, fetched and written per batch; a checkpoint follows each batch.
    #: 500, as CouchDB's replicator (``worker_batch_size``); PouchDB's is 100. A server
    #: pays a cost per request beside its cost per document (pouchdb-server about 5 ms:
    #: a 10,000-record push took a third less time at 500 than at 100), and a crash
    #: re-sends at most a few batches, which cost only their ids then. Over a slow link
    #: (a target slow to answer) a batch holds at least
    #: :data:`~sync.replication.batch.SLOW_LINK_BATCH` whatever is asked.
    batch_size: int = 500
    #: Batches diffed, fetched and written at once (CouchDB's ``worker_processes`` is 4):
    #: on a slow link one batch's round trips overlap the others' transfers. A crash
    #: re-sends at most twice this many batches, which cost only their ids and revisions
    #: then (see :mod:`.batch`).
    workers: int = 4
    #: Follow the source's changes feed until cancelled instead of stopping when caught up.
    continuous: bool = False
    #: Replicate only these document ids.
    doc_ids: tuple[str, ...] | None = None
    #: Replicate only documents whose winning revision matches this Mango selector.
    selector: Mapping[str, Any] | None = None
    #: Where to start on the source's feed when no checkpoint says otherwise (CouchDB's
    #: ``since_seq``): a bundle file holds only what came after the last one acknowledged.
    since_seq: Any = None
    #: Consecutive failed attempts (network errors, 5xx) before giving up; ``None`` retries
    #: forever (the default for continuous replications). Progress resets the count.
    retries: int | None = 8
    #: First back-off delay in seconds, doubled on each failure up to ``backoff_max``.
    backoff_initial: float = 0.5
    backoff_max: float = 60.0
    #: Seconds a longpoll on the changes feed may wait before it is renewed. The client
    #: enforces it itself: pouchdb-server ignores ``timeout=`` on longpoll feeds.
    heartbeat: float = 25.0
    #: Missing revisions fetched with ``open_revs`` GETs at once when ``_bulk_get`` is absent.
    fetch_concurrency: int = 8
    #: Attachment data (as the feed's stubs tell it: HTTP sources) one batch may carry: a
    #: batch is ended early rather than held in memory whole with a hundred scans in it.
    #: Each worker holds one batch.
    max_batch_attachment_bytes: int = 16_000_000

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise BadRequestError(f"batch_size must be at least 1, not {self.batch_size}")
        if self.workers < 1:
            raise BadRequestError(f"workers must be at least 1, not {self.workers}")
        if self.doc_ids is not None and not all(isinstance(d, str) for d in self.doc_ids):
            raise BadRequestError("doc_ids must be strings")
        if self.selector is not None and not isinstance(self.selector, Mapping):
            raise BadRequestError("selector must be a JSON object (a Mango selector)")

    @classmethod
    def build(cls, **opts: Any) -> ReplicationOptions:
        """Options from keyword arguments, with ``doc_ids`` accepted as any sequence."""
        doc_ids: Sequence[str] | None = opts.pop("doc_ids", None)
        if doc_ids is not None:
            if isinstance(doc_ids, str):
                raise BadRequestError("doc_ids must be a list of ids, not a string")
            opts["doc_ids"] = tuple(doc_ids)
        if opts.get("continuous") and "retries" not in opts:
            opts["retries"] = None
        unknown = set(opts) - set(cls.__dataclass_fields__)
        if unknown:
            raise BadRequestError(f"unknown replication option(s): {', '.join(sorted(unknown))}")
        return cls(**opts)


def public_location(location: str) -> str:
    """A location with any password removed (for ids, logs and error messages)."""
    if not location.startswith(("http://", "https://")):
        return location
    parts = urlsplit(location)
    if parts.username is None and parts.password is None:
        return location.rstrip("/")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")).rstrip("/")


def replication_id(source: str, target: str, options: ReplicationOptions) -> str:
    """A stable hex id for replicating ``source`` to ``target`` with ``options``.

    Credentials never enter the hash (a changed password keeps the checkpoints);
    ``doc_ids`` are sorted and the selector canonicalised, so equal filters
    written differently give the same id.
    """
    recipe = {
        "version": REPLICATION_ID_VERSION,
        "source": public_location(source),
        "target": public_location(target),
        "doc_ids": sorted(options.doc_ids) if options.doc_ids is not None else None,
        "selector": options.selector,
    }
    canonical = json.dumps(recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest()
