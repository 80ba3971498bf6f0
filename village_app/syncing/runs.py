"""One 立即同步: push, then pull, then tidy up, with its progress kept in one object.

The push goes first so that what the secretary recorded reaches the county even if the link
drops during the pull. After the pull, the derived values are repaired as
``village-app replicate`` does after a pull (:func:`~village_app.commands.replicate.repair_after_pull`),
and whatever that (or the pull) changed on the laptop is pushed once more, so the push's
checkpoint passes the pulled records and the header's 待同步 count comes back to zero.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sync.database import Database
from sync.replication import (
    Counters,
    Replication,
    ReplicationEvent,
    ReplicationOptions,
    State,
    replicate,
)
from village_app.domain.dates import now_utc
from village_app.i18n import N_
from village_app.syncing.problems import Problem, RefusedRecord, describe_refusal, explain
from village_app.syncing.runlog import RunRecord

#: Changes per batch against the county (a checkpoint follows each one): the
#: replicator's own, as CouchDB's.
BATCH_SIZE = ReplicationOptions.batch_size


class Step(enum.StrEnum):
    CONNECTING = "connecting"
    SENDING = "sending"
    RECEIVING = "receiving"
    TIDYING = "tidying"
    RETRYING = "retrying"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (Step.DONE, Step.FAILED, Step.CANCELLED)


#: Each step in plain words (msgids).
STEP_NAMES: dict[str, str] = {
    Step.CONNECTING: N_("正在连接县里…"),
    Step.SENDING: N_("正在把本村的记录发给县里…"),
    Step.RECEIVING: N_("正在接收县里的审核意见和记录…"),
    Step.TIDYING: N_("正在整理收到的记录…"),
    Step.RETRYING: N_("网络断了，正在等待重新连接…"),
    Step.DONE: N_("同步完成"),
    Step.FAILED: N_("同步没有完成"),
    Step.CANCELLED: N_("同步已取消"),
}


@dataclass
class Progress:
    """A run as the page shows it while it goes and after it ended."""

    kind: str = "sync"
    started_at: dt.datetime = field(default_factory=now_utc)
    started_clock: float = field(default_factory=time.monotonic)
    step: Step = Step.CONNECTING
    #: Records the laptop had for the county when the run began (None: not counted).
    to_send: int | None = None
    #: What finished replications moved; the one under way adds its own counters.
    sent: int = 0
    sent_attachments: int = 0
    received: int = 0
    received_attachments: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    #: Changes the county's feed still has for the laptop (from the pull's feed).
    to_receive: int | None = None
    refused: list[RefusedRecord] = field(default_factory=list)
    problem: Problem | None = None
    retry_in: float | None = None
    ended_at: dt.datetime | None = None
    seconds: float = 0.0
    current: Replication | None = field(default=None, repr=False)
    direction: str = ""
    cancel_requested: bool = False
    #: The laptop's sequence the last push checkpointed (on the county) in this run.
    pushed_seq: Any = None
    #: Records that arrived with versions in conflict (two laptops changed them).
    conflicts: list[ArrivedConflict] = field(default_factory=list)

    # -- live figures ------------------------------------------------------
    def _live(self, direction: str) -> Counters | None:
        if self.current is not None and self.direction == direction:
            return self.current.counters
        return None

    @property
    def sent_now(self) -> int:
        live = self._live("push")
        return self.sent + (live.docs_written if live else 0)

    @property
    def sent_attachments_now(self) -> int:
        live = self._live("push")
        return self.sent_attachments + (live.attachments_written if live else 0)

    @property
    def received_now(self) -> int:
        live = self._live("pull")
        return self.received + (live.docs_written if live else 0)

    @property
    def received_attachments_now(self) -> int:
        live = self._live("pull")
        return self.received_attachments + (live.attachments_written if live else 0)

    @property
    def pull_pending(self) -> int | None:
        live = self._live("pull")
        if live is not None and live.pending is not None:
            return live.pending
        return self.to_receive

    @property
    def bytes_now(self) -> tuple[int, int]:
        sent, received = self.bytes_sent, self.bytes_received
        if self.current is not None:
            sent += self.current.counters.bytes_sent or 0
            received += self.current.counters.bytes_received or 0
        return sent, received

    @property
    def elapsed(self) -> float:
        return self.seconds if self.step.finished else time.monotonic() - self.started_clock

    @property
    def outcome(self) -> str | None:
        if not self.step.finished:
            return None
        if self.step is Step.CANCELLED:
            return "cancelled"
        if self.problem is not None:
            return "failed"
        return "refused" if self.refused else "ok"

    # -- bookkeeping -------------------------------------------------------
    def begin(self, rep: Replication, direction: str) -> None:
        self.current, self.direction = rep, direction

    def settle(self) -> None:
        """Fold the replication under way into the totals."""
        rep, self.current = self.current, None
        if rep is None:
            return
        c = rep.counters
        if self.direction == "push":
            self.sent += c.docs_written
            self.sent_attachments += c.attachments_written
        else:
            self.received += c.docs_written
            self.received_attachments += c.attachments_written
            if c.pending is not None:
                self.to_receive = c.pending
        self.bytes_sent += c.bytes_sent or 0
        self.bytes_received += c.bytes_received or 0

    def finish(self, step: Step, problem: Problem | None = None) -> None:
        self.settle()
        self.step = step
        self.problem = problem
        self.retry_in = None
        self.ended_at = now_utc()
        self.seconds = time.monotonic() - self.started_clock

    def record(self) -> RunRecord:
        return RunRecord(
            kind=self.kind,
            started_at=self.started_at.isoformat(),
            seconds=round(self.seconds, 2),
            outcome=self.outcome or "failed",
            problem=self.problem.code if self.problem else None,
            detail=self.problem.detail if self.problem else "",
            sent=self.sent,
            sent_attachments=self.sent_attachments,
            received=self.received,
            received_attachments=self.received_attachments,
            bytes_sent=self.bytes_sent,
            bytes_received=self.bytes_received,
            refused_count=len(self.refused),
            refused=tuple(self.refused),
        )


@dataclass(frozen=True)
class ArrivedConflict:
    """A record the pull left with conflicting versions: which, and where to resolve it."""

    docid: str
    doc_type: str  # "matter", "member" or "body"
    label: str  # the matter's title, the member's name, the body's kind
    #: The matter's id (its conflicts page) or the body's kind (its roster's conflicts page).
    target: str


#: The kinds of record whose conflicts a page resolves.
_RESOLVABLE: Final = ("matter", "member", "body")


async def arrived_conflicts(db: Database, since: Any) -> list[ArrivedConflict]:
    """Records changed on the laptop since ``since`` that now have conflicting versions."""
    feed = await db.changes(since=since, include_docs=True, conflicts=True)
    found = []
    for row in feed["results"]:
        doc = row.get("doc") or {}
        if not doc.get("_conflicts") or doc.get("type") not in _RESOLVABLE:
            continue
        kind = str(doc["type"])
        if kind == "matter":
            found.append(ArrivedConflict(doc["_id"], kind, str(doc.get("title", "")), doc["_id"]))
        else:
            body = str(doc.get("body") or doc.get("kind") or "")
            label = str(doc.get("name") or body)
            if body:
                found.append(ArrivedConflict(doc["_id"], kind, label, body))
    return found


class Cancelled(Exception):
    """The run was cancelled between two of its steps."""


OpenRemote = Callable[[], Awaitable[Database]]
Repair = Callable[[], Awaitable[int]]


async def run_once(
    local: Database, open_remote: OpenRemote, repair: Repair, progress: Progress
) -> None:
    """Push, pull, repair, push what changed; ``progress`` says how it went (never raises
    for a failure of the sync itself: the problem is in ``progress.problem``)."""
    remote: Database | None = None
    try:
        progress.step = Step.CONNECTING
        remote = await open_remote()
        _check(progress)
        await _replicate(local, remote, "push", progress, Step.SENDING)
        before_pull = (await local.info()).get("update_seq")
        designs = await _design_revs(local)
        await _replicate(remote, local, "pull", progress, Step.RECEIVING)
        # The county's own design document (its write rules) comes along with the records;
        # it is nothing the secretary would count as received.
        after = await _design_revs(local)
        progress.received -= sum(1 for d, rev in after.items() if designs.get(d) != rev)
        progress.step = Step.TIDYING
        if progress.received:
            progress.conflicts = await arrived_conflicts(local, before_pull)
        repaired = await repair()
        if progress.received or repaired:
            await _replicate(local, remote, "push", progress, Step.TIDYING)
        progress.finish(Step.DONE)
    except (Cancelled, asyncio.CancelledError) as exc:
        progress.finish(Step.CANCELLED)
        if isinstance(exc, asyncio.CancelledError):
            raise
    except Exception as exc:
        progress.finish(Step.FAILED, explain(exc))
    finally:
        if remote is not None:
            await remote.close()


async def _design_revs(db: Database) -> dict[str, str]:
    rows = (await db.all_docs(startkey="_design/", endkey="_design0"))["rows"]
    return {str(r["id"]): str(r["value"]["rev"]) for r in rows}


def _check(progress: Progress) -> None:
    if progress.cancel_requested:
        raise Cancelled()


async def _replicate(
    source: Database, target: Database, direction: str, progress: Progress, step: Step
) -> None:
    laptop = source if direction == "push" else target

    async def on_event(event: ReplicationEvent) -> None:
        if event.kind == "retry":
            progress.step, progress.retry_in = Step.RETRYING, event.retry_in
        elif event.kind == "state" and progress.step is Step.RETRYING and event.error is None:
            progress.step, progress.retry_in = step, None
        elif event.kind == "denied" and event.denial is not None:
            progress.refused.append(await describe_refusal(laptop, event.denial))

    _check(progress)
    progress.step = step
    rep = replicate(source, target, on_event=on_event, batch_size=BATCH_SIZE)
    progress.begin(rep, direction)
    try:
        await rep
    finally:
        if direction == "push" and rep.counters.last_seq is not None:
            progress.pushed_seq = rep.counters.last_seq
        progress.settle()
    if rep.state is State.CANCELLED:
        raise Cancelled()
