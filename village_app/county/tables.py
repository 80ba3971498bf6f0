"""The county index file, ``<folder>/index.sqlite``: its tables, and the indexer's writes.

One row per village database the indexer follows (``villages``: its summary figures
and where the indexer got to in it), one per matter (``matters``), per open
supervision thread (``threads``), per unreadable document (``unreadable``), and
``meta`` for what belongs to the server as a whole (the ``_db_updates`` checkpoint).
A village's rows are replaced in one transaction together with its state, so a
reader never sees half a village and a restart (or SIGKILL) resumes from a true state.

Times are UTC stamps (``2026-11-25T11:17:00.123Z``): they sort as text. Sequences
are stored as the server gave them (JSON), and compared for equality only.

The index is derived data: a file of another schema version is rebuilt from the
server (see :func:`open_tables`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sync.embedded.tables import SchemaVersionError, TableFile, Transaction
from village_app.county import services_tables
from village_app.county.summary import MatterSummary, VillageSummary

log = logging.getLogger(__name__)

VERSION: Final = 3
INDEX_FILE: Final = "index.sqlite"

_VILLAGE_SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('generation', '0');
CREATE TABLE villages (
    code TEXT PRIMARY KEY,
    db_name TEXT NOT NULL,
    update_seq TEXT NOT NULL,
    mirror_seq INTEGER,
    instance TEXT,
    indexed_at TEXT NOT NULL,
    last_change_at TEXT NOT NULL,
    last_village_change_at TEXT,
    village_digest TEXT,
    last_record_at TEXT,
    doc_count INTEGER NOT NULL,
    matter_count INTEGER NOT NULL,
    stage_counts TEXT NOT NULL,
    timeliness TEXT NOT NULL,
    unpublished_due TEXT NOT NULL,
    open_threads INTEGER NOT NULL,
    threads_opened TEXT NOT NULL,
    unreadable_count INTEGER NOT NULL,
    reviews INTEGER NOT NULL,
    reviews_done INTEGER NOT NULL,
    reviews_pending INTEGER NOT NULL
);
CREATE TABLE matters (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    procedure TEXT NOT NULL,
    stage TEXT NOT NULL,
    created_at TEXT,
    latest_evidence_at TEXT,
    resolution_at TEXT,
    publication_required INTEGER NOT NULL,
    publication_due_at TEXT,
    published_at TEXT,
    evidence_at TEXT,
    last_review_at TEXT,
    last_review_decision TEXT,
    review_pending INTEGER NOT NULL,
    PRIMARY KEY (code, id)
);
CREATE INDEX matters_queue ON matters(evidence_at, code, id) WHERE review_pending = 1;
CREATE INDEX matters_queue_by_village ON matters(code, evidence_at) WHERE review_pending = 1;
CREATE TABLE threads (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    id TEXT NOT NULL,
    matter_id TEXT,
    status TEXT NOT NULL,
    opened_at TEXT,
    PRIMARY KEY (code, id)
);
CREATE TABLE unreadable (
    code TEXT NOT NULL REFERENCES villages(code) ON DELETE CASCADE,
    id TEXT NOT NULL,
    rev TEXT NOT NULL,
    type TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (code, id)
)
"""
SCHEMA: Final = _VILLAGE_SCHEMA + ";\n" + services_tables.SCHEMA


def index_path(folder: Path) -> Path:
    return folder / INDEX_FILE


async def open_tables(folder: Path, *, rebuild: bool = True) -> TableFile:
    """The index file of ``folder`` (made if missing). One of another schema version is
    set aside (``index.sqlite.v<n>.old``) and a new one started when ``rebuild``: the
    mirrors stay, so the rebuild reads each village database from its checkpoint."""
    folder.mkdir(parents=True, exist_ok=True)
    path = index_path(folder)
    try:
        return await TableFile.open(str(path), SCHEMA, version=VERSION)
    except SchemaVersionError:
        if not rebuild:
            raise
        old = path.with_name(f"{path.name}.old")
        log.warning("county index %s is of another version; starting a new one", path)
        for suffix in ("", "-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                side.replace(Path(str(old) + suffix))
        return await TableFile.open(str(path), SCHEMA, version=VERSION)


@dataclass(frozen=True)
class DbState:
    """Where the indexer got to in one village database."""

    code: str
    db_name: str
    update_seq: Any  # opaque, as the server gave it
    instance: str | None  # the database's identity marker (see mirrors)
    village_digest: str | None
    #: The mirror's own update_seq when its summary was made: while the mirror is the
    #: same, so is the summary.
    mirror_seq: Any


def fixed_timeliness(matters: Iterable[MatterSummary]) -> dict[str, int]:
    """How many matters are in each state of publication that no longer depends on the
    time (:class:`~village_app.domain.timeliness.Timeliness` ``not_required``,
    ``not_resolved``, ``on_time``, ``late``), and how many wait for a publication with a
    deadline (``unpublished``: pending or overdue, which the reader tells by the time)."""
    counts: dict[str, int] = {}
    for m in matters:
        if not m.publication_required:
            key = "not_required"
        elif m.resolution_at is None or m.publication_due_at is None:
            key = "not_resolved"
        elif m.published_at is None:
            key = "unpublished"
        else:
            key = "on_time" if m.published_at <= m.publication_due_at else "late"
        counts[key] = counts.get(key, 0) + 1
    return counts


def unpublished_due(matters: Iterable[MatterSummary]) -> list[str]:
    """The deadlines of the resolutions still to be published, oldest first: the reader
    counts those past (overdue) against its own time, without reading the matters."""
    return sorted(
        m.publication_due_at
        for m in matters
        if m.publication_required and m.publication_due_at and m.published_at is None
    )


def _seq_text(seq: Any) -> str:
    return json.dumps(seq, sort_keys=True, separators=(",", ":"))


def same_seq(a: Any, b: Any) -> bool:
    """Whether two sequences are the same (compared as the JSON the server sent)."""
    return _seq_text(a) == _seq_text(b)


async def states(tables: TableFile) -> dict[str, DbState]:
    """Every village database the index holds, by database name."""
    rows = await tables.rows(
        "SELECT code, db_name, update_seq, instance, village_digest, mirror_seq FROM villages"
    )
    return {
        r["db_name"]: DbState(
            r["code"],
            r["db_name"],
            json.loads(r["update_seq"]),
            r["instance"],
            r["village_digest"],
            r["mirror_seq"],
        )
        for r in rows
    }


async def get_meta(tables: TableFile, key: str) -> Any:
    row = await tables.read(lambda tx: tx.one("SELECT value FROM meta WHERE key = ?", (key,)))
    return None if row is None else json.loads(row["value"])


async def set_meta(tables: TableFile, key: str, value: Any) -> None:
    def write(tx: Transaction) -> None:
        tx.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    await tables.write(write)


async def note_seq(tables: TableFile, code: str, update_seq: Any) -> None:
    """The database was read up to ``update_seq`` and nothing in it changed the mirror
    (a ``_local`` write, or a cluster naming the same point otherwise)."""
    await tables.write(
        lambda tx: tx.execute(
            "UPDATE villages SET update_seq = ? WHERE code = ?", (_seq_text(update_seq), code)
        )
    )


def _next_generation(tx: Transaction) -> None:
    """Count a change of what the index says (readers keep what they computed until it
    moves: see :meth:`village_app.county.index.CountyIndex.generation`)."""
    tx.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")


async def drop_village(tables: TableFile, code: str) -> None:
    """Forget the village (its rows go with it)."""

    def write(tx: Transaction) -> None:
        tx.execute("DELETE FROM villages WHERE code = ?", (code,))
        _next_generation(tx)

    await tables.write(write)


async def save_village(
    tables: TableFile,
    summary: VillageSummary,
    *,
    db_name: str,
    update_seq: Any,
    instance: str | None,
    now: str,
    mirror_seq: Any = None,
) -> None:
    """Replace the village's rows with ``summary``, and record that the database was read
    up to ``update_seq`` (and the mirror summarised at ``mirror_seq``), in one transaction.
    The database changed (``last_change_at`` is ``now``); the village itself changed it
    when its documents did (``last_village_change_at``: reviews are the county's)."""
    code = summary.code

    def write(tx: Transaction) -> None:
        old = tx.one(
            "SELECT last_village_change_at, village_digest FROM villages WHERE code = ?",
            (code,),
        )
        village_change = old["last_village_change_at"] if old else None
        if summary.doc_count == 0:
            village_change = None  # nothing of the village's own yet (only the county's rules)
        elif old is None or old["village_digest"] != summary.village_digest:
            village_change = now
        tx.execute("DELETE FROM villages WHERE code = ?", (code,))
        tx.execute(
            "INSERT INTO villages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                code,
                db_name,
                _seq_text(update_seq),
                mirror_seq,
                instance,
                now,
                now,
                village_change,
                summary.village_digest,
                summary.last_record_at,
                summary.doc_count,
                len(summary.matters),
                json.dumps(summary.stage_counts, sort_keys=True),
                json.dumps(fixed_timeliness(summary.matters), sort_keys=True),
                json.dumps(unpublished_due(summary.matters)),
                len(summary.open_threads),
                json.dumps(sorted(t.opened_at or "" for t in summary.open_threads)),
                len(summary.unreadable),
                summary.reviews,
                sum(1 for m in summary.matters if m.last_review_at and not m.review_pending),
                sum(1 for m in summary.matters if m.review_pending),
            ),
        )
        tx.executemany(
            "INSERT INTO matters VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    code,
                    m.id,
                    m.title,
                    m.body,
                    m.kind,
                    m.procedure,
                    m.stage,
                    m.created_at,
                    m.latest_evidence_at,
                    m.resolution_at,
                    int(m.publication_required),
                    m.publication_due_at,
                    m.published_at,
                    m.evidence_at,
                    m.last_review_at,
                    m.last_review_decision,
                    int(m.review_pending),
                )
                for m in summary.matters
            ),
        )
        tx.executemany(
            "INSERT INTO threads VALUES (?,?,?,?,?)",
            ((code, t.id, t.matter_id, t.status, t.opened_at) for t in summary.open_threads),
        )
        tx.executemany(
            "INSERT INTO unreadable VALUES (?,?,?,?,?)",
            ((code, u.id, u.rev, u.type, u.reason) for u in summary.unreadable),
        )
        services_tables.save(tx, code, summary.services)
        _next_generation(tx)

    await tables.write(write)
