"""Reading the county index: what the county pages show, without opening a village database.

``index = await CountyIndex.open(folder)`` (the indexer's folder), then::

    await index.villages()            # one row per village database, with its figures
    await index.matters(code)         # the village's matters
    await index.review_queue(codes)   # matters waiting for review, oldest evidence first
    await index.unreadable(code)      # documents that failed their schema
    await index.figures(codes)        # the dashboard's per-village numbers
    index.mirror_path(code)           # the county's copy of the village (for a matter page)

Each call is one read of ``index.sqlite`` (one snapshot, on the index's reader
thread), whatever another process is writing. What depends on the time of asking
(publication overdue, ages of supervision threads, how recently a village synced)
is computed at the moment of the call (``now``), from the times the rows hold.
The index knows villages by code only; townships come from the registry.
"""

from __future__ import annotations

import asyncio
import bisect
import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from sync.embedded.tables import TableFile, Transaction
from village_app.county import tables as _tables
from village_app.county.mirrors import mirror_path
from village_app.domain.dates import utc_stamp
from village_app.domain.timeliness import Timeliness

T = TypeVar("T")

#: Upper bounds (days) of the age buckets of open supervision threads; the last is open.
THREAD_AGE_BUCKETS: Final = (30, 90, 180)
#: Upper bounds (days) of the sync recency buckets; past the last, a village "stands out".
SYNC_RECENCY_BUCKETS: Final = (1, 7, 30)


def bucket_label(bounds: Sequence[int], days: float | None) -> str:
    """``"≤30"``-style keys: the first bound ``days`` is within, ``">180"`` past the last,
    ``"never"`` for ``None``."""
    if days is None:
        return "never"
    for bound in bounds:
        if days <= bound:
            return f"≤{bound}"
    return f">{bounds[-1]}"


def bucket_keys(bounds: Sequence[int], *, never: bool = False) -> list[str]:
    """Every key :func:`bucket_label` gives, in order (for tables and charts)."""
    keys = [f"≤{b}" for b in bounds] + [f">{bounds[-1]}"]
    return [*keys, "never"] if never else keys


@dataclass(frozen=True)
class VillageRow:
    code: str
    db_name: str
    #: When the indexer saw the database change (UTC stamp); ``last_village_change_at``
    #: when it saw a change by the village itself (reviews left out).
    last_change_at: str
    last_village_change_at: str | None
    #: The newest created_at / updated_at of the village's documents: the laptop's last
    #: activity, by the laptop's clock.
    last_record_at: str | None
    doc_count: int
    matter_count: int
    matters_by_stage: dict[str, int]
    open_supervision: int
    overdue: int  # resolutions not published and past their deadline
    unreadable: int
    reviews_pending: int
    reviews: int  # review documents in the village's database
    indexed_at: str


@dataclass(frozen=True)
class MatterRow:
    code: str
    id: str
    title: str
    body: str
    kind: str
    procedure: str
    stage: str
    created_at: str | None
    latest_evidence_at: str | None
    resolution_at: str | None
    publication_due_at: str | None
    published_at: str | None
    timeliness: Timeliness
    evidence_at: str | None  # newest resolution or publication record
    last_review_at: str | None
    last_review_decision: str | None
    review_pending: bool

    @property
    def publication_on_time(self) -> bool | None:
        return self.timeliness.on_time


@dataclass(frozen=True)
class UnreadableRow:
    id: str
    rev: str
    type: str
    reason: str


@dataclass(frozen=True)
class VillageFigures:
    """One village's numbers for the dashboard (add them up by township)."""

    code: str
    matters_by_stage: dict[str, int]
    threads_by_age: dict[str, int]  # open supervision threads, by days open
    reviews_done: int  # matters whose last review is current
    reviews_pending: int
    timeliness: dict[str, int]  # matters by Timeliness value
    sync_recency: str  # bucket of days since the village last changed its database
    days_since_sync: float | None = None


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _days(since: str | None, now: datetime) -> float | None:
    if not since:
        return None
    moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    return max(0.0, (now - moment) / timedelta(days=1))


#: :func:`village_app.domain.timeliness.publication_timeliness` on a matter's stored
#: deadline, in SQL (UTC stamps compare as text); the one parameter is now's stamp.
#: tests/county check that the two agree.
_TIMELINESS: Final = """CASE
    WHEN publication_required = 0 THEN 'not_required'
    WHEN resolution_at IS NULL OR publication_due_at IS NULL THEN 'not_resolved'
    WHEN published_at IS NOT NULL AND published_at <= publication_due_at THEN 'on_time'
    WHEN published_at IS NOT NULL THEN 'late'
    WHEN ? > publication_due_at THEN 'overdue'
    ELSE 'pending' END"""

_MATTER_COLUMNS: Final = (
    "code, id, title, body, kind, procedure, stage, created_at, latest_evidence_at, "
    "resolution_at, publication_required, publication_due_at, published_at, evidence_at, "
    "last_review_at, last_review_decision, review_pending, "
    f"{_TIMELINESS} AS timeliness"
)


def _overdue(row: dict[str, Any], now_stamp: str) -> int:
    """How many of the village's resolutions are past their deadline, unpublished."""
    return bisect.bisect_left(json.loads(row["unpublished_due"]), now_stamp)


def _matter(row: dict[str, Any]) -> MatterRow:
    values = dict(row)
    values.pop("publication_required")
    values["review_pending"] = bool(values["review_pending"])
    values["timeliness"] = Timeliness(values["timeliness"])
    return MatterRow(**values)


#: Results kept by :meth:`CountyIndex._kept` (cleared past this many).
_MEMO_SIZE: Final = 256
#: Up to this many villages, the review queue is read village by village.
_FEW_VILLAGES: Final = 20


def _in(codes: Sequence[str]) -> str:
    return ",".join("?" * len(codes))


class CountyIndex:
    """Read access to a county index folder (see the module docstring)."""

    def __init__(self, folder: Path, tables: TableFile) -> None:
        self.folder = folder
        self._tables = tables
        #: Results of the calls every page makes, by call: (generation, result).
        self._memo: dict[Hashable, tuple[int, Any]] = {}
        self._computing: dict[Hashable, asyncio.Lock] = {}

    async def generation(self) -> int:
        """A number that moves whenever the indexer changes what the index says."""
        row = await self._tables.read(
            lambda tx: tx.one("SELECT value FROM meta WHERE key = 'generation'")
        )
        return int(row["value"]) if row else 0

    async def _kept(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """``compute()``, or what it gave for the same ``key`` while the index has not
        changed since; staff opening the dashboard at once share one computation."""
        generation = await self.generation()
        found = self._memo.get(key)
        if found is not None and found[0] == generation:
            return cast(T, found[1])
        async with self._computing.setdefault(key, asyncio.Lock()):
            found = self._memo.get(key)
            if found is not None and found[0] == generation:
                return cast(T, found[1])
            result = await compute()
            if len(self._memo) > _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = (generation, result)
            return result

    @classmethod
    async def open(cls, folder: Path | str) -> CountyIndex:
        """The index of ``folder`` (an empty one if the indexer has not run yet; one of an
        older version is set aside, and the indexer fills the new one)."""
        folder = Path(folder)
        return cls(folder, await _tables.open_tables(folder))

    async def close(self) -> None:
        await self._tables.close()

    async def __aenter__(self) -> CountyIndex:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def read(self, fn: Callable[[Transaction], T]) -> T:
        """``fn`` run on one snapshot of the index (for readers of tables kept beside the
        villages' own, such as :mod:`.services_index`)."""
        return await self._tables.read(fn)

    def mirror_path(self, code: str) -> Path:
        """The county's copy of the village's database (an embedded store: open it
        read-only for a matter page; the indexer writes it)."""
        return mirror_path(self.folder, code)

    async def villages(
        self, codes: Sequence[str] | None = None, *, now: datetime | None = None
    ) -> list[VillageRow]:
        """Every village the index holds (or those of ``codes``), by code. Without ``now``,
        as of this minute (kept until the index or the minute changes: do not modify)."""
        if now is None:
            minute = _minute()
            key = ("villages", None if codes is None else tuple(codes), minute)
            return await self._kept(key, lambda: self.villages(codes, now=minute))
        now_stamp = utc_stamp(_now(now))
        where, params = _codes_filter(codes)

        def read(tx: Transaction) -> list[VillageRow]:
            rows = tx.rows(f"SELECT * FROM villages WHERE 1 = 1{where} ORDER BY code", params)
            return [
                VillageRow(
                    code=r["code"],
                    db_name=r["db_name"],
                    last_change_at=r["last_change_at"],
                    last_village_change_at=r["last_village_change_at"],
                    last_record_at=r["last_record_at"],
                    doc_count=r["doc_count"],
                    matter_count=r["matter_count"],
                    matters_by_stage=json.loads(r["stage_counts"]),
                    open_supervision=r["open_threads"],
                    overdue=_overdue(r, now_stamp),
                    unreadable=r["unreadable_count"],
                    reviews_pending=r["reviews_pending"],
                    reviews=r["reviews"],
                    indexed_at=r["indexed_at"],
                )
                for r in rows
            ]

        return await self._tables.read(read)

    async def village(self, code: str, *, now: datetime | None = None) -> VillageRow | None:
        found = await self.villages([code], now=now)
        return found[0] if found else None

    async def matters(self, code: str, *, now: datetime | None = None) -> list[MatterRow]:
        """The village's matters, newest first."""
        rows = await self._tables.rows(
            f"SELECT {_MATTER_COLUMNS} FROM matters WHERE code = ? "
            "ORDER BY created_at DESC, id DESC",
            (utc_stamp(_now(now)), code),
        )
        return [_matter(r) for r in rows]

    async def matter(self, code: str, matter_id: str, *, now: datetime | None = None) -> MatterRow:
        """One matter's row (``KeyError`` when the index has none)."""
        rows = await self._tables.rows(
            f"SELECT {_MATTER_COLUMNS} FROM matters WHERE code = ? AND id = ?",
            (utc_stamp(_now(now)), code, matter_id),
        )
        if not rows:
            raise KeyError(matter_id)
        return _matter(rows[0])

    async def review_queue(
        self,
        codes: Sequence[str],
        *,
        limit: int | None = None,
        offset: int = 0,
        now: datetime | None = None,
    ) -> list[MatterRow]:
        """Matters of ``codes`` whose resolution or publication arrived after their last
        review (or that were never reviewed), the oldest such evidence first."""
        if not codes:
            return []
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        # Many villages: walk the whole queue in order and stop at the page's end; a few:
        # each village's part of the queue, then sort what they hold.
        index = "matters_queue" if len(codes) > _FEW_VILLAGES else "matters_queue_by_village"
        rows = await self._tables.rows(
            f"SELECT {_MATTER_COLUMNS} FROM matters INDEXED BY {index} "
            f"WHERE review_pending = 1 AND code IN ({_in(codes)}) "
            f"ORDER BY evidence_at, code, id{page}",
            (utc_stamp(_now(now)), *codes),
        )
        return [_matter(r) for r in rows]

    async def unreadable(self, code: str) -> list[UnreadableRow]:
        rows = await self._tables.rows(
            "SELECT id, rev, type, reason FROM unreadable WHERE code = ? ORDER BY type, id",
            (code,),
        )
        return [UnreadableRow(**r) for r in rows]

    async def figures(
        self, codes: Sequence[str] | None = None, *, now: datetime | None = None
    ) -> dict[str, VillageFigures]:
        """The dashboard's numbers, per village (the caller sums them by township), from
        the villages' rows alone, whatever the number of matters. Without ``now``, as of
        this minute (kept until the index or the minute changes: do not modify)."""
        if now is None:
            minute = _minute()
            key = ("figures", None if codes is None else tuple(codes), minute)
            return await self._kept(key, lambda: self.figures(codes, now=minute))
        moment = _now(now)
        now_stamp = utc_stamp(moment)
        where, params = _codes_filter(codes)

        def read(tx: Transaction) -> dict[str, VillageFigures]:
            villages = tx.rows(
                "SELECT code, stage_counts, timeliness, unpublished_due, threads_opened, "
                "reviews_done, reviews_pending, last_village_change_at FROM villages "
                f"WHERE 1 = 1{where} ORDER BY code",
                params,
            )
            out = {}
            for v in villages:
                days = _days(v["last_village_change_at"], moment)
                timeliness = json.loads(v["timeliness"])
                waiting = timeliness.pop("unpublished", 0)
                late = _overdue(v, now_stamp)
                for status, n in ((Timeliness.OVERDUE, late), (Timeliness.PENDING, waiting - late)):
                    if n:
                        timeliness[status.value] = n
                ages: dict[str, int] = {}
                for opened in json.loads(v["threads_opened"]):
                    key = bucket_label(THREAD_AGE_BUCKETS, _days(opened, moment) or 0.0)
                    ages[key] = ages.get(key, 0) + 1
                out[v["code"]] = VillageFigures(
                    code=v["code"],
                    matters_by_stage=json.loads(v["stage_counts"]),
                    threads_by_age=ages,
                    reviews_done=v["reviews_done"],
                    reviews_pending=v["reviews_pending"],
                    timeliness=timeliness,
                    sync_recency=bucket_label(SYNC_RECENCY_BUCKETS, days),
                    days_since_sync=days,
                )
            return out

        return await self._tables.read(read)


def _codes_filter(codes: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    """`` AND code IN (...)`` and its parameters, or nothing for every village."""
    if codes is None:
        return "", ()
    return f" AND code IN ({_in(codes)})", tuple(codes)
