"""The laptop's sync, as the field app runs it: one object for the app's lifetime.

It runs 立即同步 in a background task of the server (so it goes on when the secretary leaves
the page, and a page can ask how far it got), the automatic sync when it is switched on, and
a watcher that keeps the number of records the county does not have yet, for the header of
every page. Every run ends in the sync log.

Automatic sync is the replicator's continuous sync (both ways, its own back-off on a lost
link); before it starts, and after a failure that ended it, the county is tried again with
the replicator's :class:`~sync.replication.backoff.Backoff`, so a laptop that is offline for
days costs a request every few minutes, and one whose password was refused stops at once
(trying again would only lock the account).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from sync import sync as sync_both_ways
from sync.couch_http import db_path, split_url
from sync.database import Database
from sync.errors import CouchError
from sync.replication import ReplicationEvent, State, SyncReplication
from sync.replication.backoff import Backoff
from village_app import repo
from village_app.bundle.keys import (
    PublicKey,
    county_public_key,
    keep_county_public_key,
    laptop_keys,
)
from village_app.bundle.laptop import (
    Exported,
    ReplyImported,
    bundle_name,
    export_bundle,
    import_reply,
    next_number,
)
from village_app.domain.dates import now_utc
from village_app.syncing.config import NotConfigured, SyncConfig, SyncSettingsStore
from village_app.syncing.pending import count_pending, note_pushed
from village_app.syncing.problems import Problem, RefusedRecord, describe_refusal, explain, problem
from village_app.syncing.refusals import keep_refused, outstanding_refused
from village_app.syncing.remote import open_county_database
from village_app.syncing.runlog import RunLog, RunRecord
from village_app.syncing.runs import BATCH_SIZE, Progress, Step, run_once

log = logging.getLogger(__name__)

#: Back-off between attempts to reach the county before the automatic sync can start.
AUTO_RETRY_FIRST: Final = 5.0
AUTO_RETRY_MAX: Final = 300.0
#: In the data folder: the bundles exported, kept until the next export replaces them.
BUNDLE_FOLDER: Final = "bundles"
#: Seconds between the pending-count watcher's looks at the village database.
_WATCH_INTERVAL: Final = 1.0


@dataclass(frozen=True)
class HeaderStatus:
    """What the header of every page says about the sync."""

    #: ``syncing``, ``wrong_password``, ``offline``, ``pending``, ``synced``, ``never``,
    #: ``not_configured``.
    state: str
    #: ``synced``: when; ``offline``: since when.
    at: dt.datetime | None = None
    pending: int = 0
    #: Records the county refused that are not yet changed or corrected (whatever the state).
    refused: int = 0


@dataclass
class AutoStatus:
    #: ``off``, ``connecting``, ``active``, ``waiting`` (caught up), ``retrying``, ``stopped``.
    state: str = "off"
    retry_in: float | None = None
    problem: Problem | None = None


@dataclass
class _AutoTally:
    """What the automatic sync moved since its last line in the log."""

    started_at: dt.datetime = field(default_factory=now_utc)
    sent: int = 0
    sent_attachments: int = 0
    received: int = 0
    received_attachments: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    refused: list[RefusedRecord] = field(default_factory=list)
    caught_up: dict[str, bool] = field(default_factory=dict)
    #: The counters as last logged, per direction: (docs, attachments, bytes out, bytes in).
    logged: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    @property
    def moved(self) -> bool:
        return bool(self.sent or self.received or self.refused)


class SyncService:
    def __init__(
        self,
        data_dir: Path,
        db: Database,
        village: str,
        caches: repo.VillageCaches,
        *,
        read_only: bool = False,
    ) -> None:
        self.db = db
        self.village = village
        self.caches = caches
        self.read_only = read_only
        self.settings = SyncSettingsStore(data_dir)
        self.log = RunLog(data_dir)
        self.config: SyncConfig | None = self.settings.load()
        #: The last 立即同步, under way or finished (``None``: none since the app started).
        self.progress: Progress | None = None
        self.auto = AutoStatus()
        self.pending = 0
        #: Records the county refused, not yet changed or corrected (see :mod:`.refusals`).
        self.refused: list[RefusedRecord] = []
        self.last_ok_at: dt.datetime | None = None
        self.trouble: Problem | None = None
        self.trouble_since: dt.datetime | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._auto_task: asyncio.Task[None] | None = None
        self._live: SyncReplication | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._recount = asyncio.Event()
        self._repair_lock = asyncio.Lock()
        self._auto_paused = False
        #: The last reply bundle imported since the app started (shown on the 同步 page).
        self.last_reply: ReplyImported | None = None
        self._read_history()

    # -- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        await self._count()
        if self._watch_task is None:
            self._watch_task = asyncio.create_task(self._watch_pending())
        self._start_auto()

    async def close(self) -> None:
        self.cancel()
        if self._run_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._run_task
        await self._stop_auto()
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch_task

    # -- settings ------------------------------------------------------------
    async def save_settings(self, address: str, account: str, password: str) -> SyncConfig:
        """Keep new settings (raises ``ValidationError`` for a bad field); a wrong password
        or an unreachable county is found by the next sync, not here."""
        config = self.settings.new_config(address, account, password, self.config)
        self.settings.save(config)
        self.config = config
        if self.trouble is not None and self.trouble.stops_auto_sync:
            self.trouble = self.trouble_since = None  # new settings: worth trying again
        await self._stop_auto()
        self._auto_paused = False
        self._start_auto()
        self._recount.set()
        return config

    async def set_auto(self, on: bool) -> None:
        if self.config is None:
            return
        self.config = self.settings.with_auto(self.config, on)
        self.settings.save(self.config)
        await self._stop_auto()
        self._auto_paused = False
        self._start_auto()

    @property
    def remote_location(self) -> str | None:
        """The county database's location as the replicator names it (no credentials)."""
        if self.config is None:
            return None
        address, name = split_url(self.config.database_url(self.village))
        return address.base + db_path(name or "")

    async def _open_remote(self) -> Database:
        if self.config is None:
            raise NotConfigured()
        password = self.settings.password(self.config)
        return await open_county_database(
            self.config.database_url(self.village), self.config.account, password
        )

    async def _repair(self) -> int:
        """Derived values recomputed after a pull, as ``village-app replicate`` does."""
        if self.read_only:
            return 0
        account = self.config.account if self.config else "village-app sync"
        async with self._repair_lock:
            store = repo.VillageStore(self.db, self.village, repo.Actor(account), self.caches)
            return await store.repair_derived()

    # -- 立即同步 ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._run_task is not None and not self._run_task.done()

    async def start_run(self) -> Progress:
        """Start 立即同步 in the background (or return the one under way)."""
        if self.running and self.progress is not None:
            return self.progress
        await self._stop_auto()
        self._auto_paused = False
        await self._count()
        progress = Progress(kind="sync", to_send=self.pending)
        self.progress = progress
        self._run_task = asyncio.create_task(self._run(progress))
        return progress

    async def wait(self) -> Progress | None:
        """Wait for 立即同步 under way to end (the command line, the tests)."""
        if self._run_task is not None:
            await asyncio.shield(self._run_task)
        return self.progress

    def cancel(self) -> None:
        """Stop 立即同步 (what was sent and received stays); the automatic sync waits until
        the next 立即同步 or until it is switched on again."""
        progress = self.progress
        if progress is None or not self.running:
            return
        progress.cancel_requested = True
        self._auto_paused = True
        if progress.current is not None:
            progress.current.cancel()

    async def _run(self, progress: Progress) -> None:
        if self.config is None:
            progress.finish(Step.FAILED, problem("not_configured"))
        elif self.read_only:
            progress.finish(Step.FAILED, problem("read_only"))
        else:
            await run_once(self.db, self._open_remote, self._repair, progress)
            await self._note_pushed(progress.pushed_seq)
            await self._keep_refused(progress.refused)
        await self._count()
        self._ended(progress.record(), progress.problem)
        if not self._auto_paused:
            self._start_auto()

    # -- USB bundles ---------------------------------------------------------------
    @property
    def bundle_folder(self) -> Path:
        """Where exported bundles are written before the browser saves them to the stick."""
        return self.settings.data_dir / BUNDLE_FOLDER

    def bundle_keys(self) -> tuple[PublicKey, PublicKey | None]:
        """The laptop's public key (made on first use) and the county's, if given."""
        return laptop_keys(self.settings.data_dir, self.village).public, county_public_key(
            self.settings.data_dir
        )

    def keep_county_key(self, text: bytes) -> PublicKey:
        return keep_county_public_key(self.settings.data_dir, text)

    async def export_bundle(self) -> Exported:
        """A bundle of what the county has not acknowledged, in :attr:`bundle_folder`."""
        started = now_utc()
        self.bundle_folder.mkdir(mode=0o700, exist_ok=True)
        for old in self.bundle_folder.glob("*.cunyi"):  # one at a time: the newest holds all
            old.unlink(missing_ok=True)
        out = self.bundle_folder / bundle_name(self.village, await next_number(self.db))
        done = await export_bundle(self.db, self.settings.data_dir, self.village, out)
        self._ended(
            RunRecord(
                "bundle_export",
                started.isoformat(),
                round((now_utc() - started).total_seconds(), 2),
                "ok",
                sent=done.docs,
                sent_attachments=done.attachments,
                bytes_sent=done.size,
            ),
            None,
            counts_as_sync=False,
        )
        return done

    async def import_reply(self, path: Path) -> ReplyImported:
        """Import the county's reply; repair after it as after a pull."""
        started = now_utc()
        done = await import_reply(self.db, self.settings.data_dir, self.village, path)
        await self._repair()
        await self._keep_refused(done.refused)
        await self._count()
        self.last_reply = done
        self._ended(
            RunRecord(
                "bundle_reply",
                started.isoformat(),
                round((now_utc() - started).total_seconds(), 2),
                "refused" if done.refused else "ok",
                received=done.received,
                received_attachments=done.received_attachments,
                bytes_received=path.stat().st_size,
                refused_count=len(done.refused),
                refused=done.refused,
            ),
            None,
        )
        return done

    # -- the header ------------------------------------------------------------
    def header(self) -> HeaderStatus:
        return replace(self._header(), refused=len(self.refused))

    def _header(self) -> HeaderStatus:
        if self.running or self.auto.state == "active":
            return HeaderStatus("syncing", pending=self.pending)
        if self.config is None and self.last_ok_at is None:
            return HeaderStatus("not_configured", pending=self.pending)
        if self.trouble is not None and self.trouble.code == "wrong_password":
            return HeaderStatus("wrong_password", self.trouble_since, self.pending)
        if self.trouble is not None and self.trouble.code == "offline":
            return HeaderStatus("offline", self.trouble_since, self.pending)
        if self.pending:
            return HeaderStatus("pending", self.last_ok_at, self.pending)
        if self.last_ok_at is None:
            return HeaderStatus("never")
        return HeaderStatus("synced", self.last_ok_at)

    def _read_history(self) -> None:
        """The header's state as the log left it (the app may have been restarted)."""
        for record in self.log.records():
            if record.kind == "bundle_export":
                continue  # written, not yet received: the county's reply says when it was
            if record.outcome in ("ok", "refused"):
                self.last_ok_at = record.ended
                break
            if record.outcome == "failed" and record.problem:
                if self.trouble is None:
                    self.trouble = problem(record.problem, record.detail)
                self.trouble_since = record.started

    def _ended(
        self, record: RunRecord, trouble: Problem | None, *, counts_as_sync: bool = True
    ) -> None:
        try:
            self.log.append(record)
        except OSError as exc:  # a full disk must not hide how the run ended
            log.warning("cannot write the sync log: %s", exc)
        if not counts_as_sync:
            return
        if record.outcome in ("ok", "refused"):
            self.last_ok_at = record.ended
            self.trouble = self.trouble_since = None
        elif trouble is not None:
            self._note_trouble(trouble, record.started)

    def _note_trouble(self, trouble: Problem, since: dt.datetime | None = None) -> None:
        if self.trouble is None or self.trouble.code != trouble.code:
            self.trouble_since = since or now_utc()
        self.trouble = trouble

    # -- records the county does not have yet ----------------------------------
    async def _note_pushed(self, seq: Any) -> None:
        location = self.remote_location
        if seq is None or location is None or self.read_only:
            return
        try:
            await note_pushed(self.db, location, seq)
        except CouchError as exc:  # the count may lag a batch; nothing else depends on it
            log.warning("cannot note how far the push got: %s", exc)

    async def _count(self) -> None:
        try:
            self.pending = await count_pending(self.db, self.remote_location)
            self.refused = await outstanding_refused(self.db)
        except CouchError as exc:
            log.warning("cannot count the records to sync: %s", exc)

    async def _keep_refused(self, refused: Sequence[RefusedRecord]) -> None:
        if not refused or self.read_only:
            return
        try:
            await keep_refused(self.db, refused)
        except CouchError as exc:  # the run's log line still names them
            log.warning("cannot keep the records the county refused: %s", exc)

    async def _watch_pending(self) -> None:
        """Recount when the village database changed (its ``update_seq``, a point read a
        second) or when a sync moved a checkpoint (``_recount``: checkpoints are ``_local``
        documents, which change no sequence)."""
        seq = None
        while True:
            try:
                info = await self.db.info()
                if info.get("update_seq") != seq or self._recount.is_set():
                    self._recount.clear()
                    seq = info.get("update_seq")
                    await self._count()
            except CouchError as exc:
                log.warning("the sync's record count stopped for a while: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._recount.wait(), _WATCH_INTERVAL)

    # -- automatic sync --------------------------------------------------------
    def _start_auto(self) -> None:
        config = self.config
        if config is None or not config.auto or self.read_only or self._auto_paused:
            self.auto = AutoStatus("off")
            return
        if self.trouble is not None and self.trouble.stops_auto_sync:
            self.auto = AutoStatus("stopped", problem=self.trouble)
            return
        if self._auto_task is None or self._auto_task.done():
            self._auto_task = asyncio.create_task(self._auto_loop())

    async def _stop_auto(self) -> None:
        task, self._auto_task = self._auto_task, None
        if task is not None and not task.done():
            if self._live is not None:
                # Cancelled, the sync stops within the replicator's grace and the loop returns;
                # cancelling the loop instead would close the county's client under it.
                self._live.cancel()
            else:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.auto = AutoStatus("off")

    async def _auto_loop(self) -> None:
        backoff = Backoff(AUTO_RETRY_FIRST, AUTO_RETRY_MAX)
        while True:
            self.auto = replace(self.auto, state="connecting", retry_in=None)
            try:
                remote = await self._open_remote()
            except Exception as exc:
                if not await self._auto_failed(explain(exc), backoff):
                    return
                continue
            backoff.reset()
            tally = _AutoTally()
            live = sync_both_ways(
                self.db,
                remote,
                continuous=True,
                batch_size=BATCH_SIZE,
                on_event=functools.partial(self._auto_event, tally=tally),
            )
            self._live = live
            try:
                await live
            except Exception as exc:
                self._log_auto(tally)
                if not await self._auto_failed(explain(exc), backoff):
                    return
                continue
            finally:
                self._live = None
                await remote.close()
            self._log_auto(tally)
            return  # cancelled: stopped on purpose

    async def _auto_failed(self, trouble: Problem, backoff: Backoff) -> bool:
        """Note a failure; wait before the next try and return True, or False to stop."""
        self._note_trouble(trouble)
        if trouble.stops_auto_sync:
            self.auto = AutoStatus("stopped", problem=trouble)
            self._ended(
                RunRecord(
                    "auto", now_utc().isoformat(), 0.0, "failed", trouble.code, trouble.detail
                ),
                trouble,
            )
            return False
        delay = backoff.next_delay()
        self.auto = AutoStatus("retrying", retry_in=delay, problem=trouble)
        await asyncio.sleep(delay)
        return True

    async def _auto_event(self, event: ReplicationEvent, tally: _AutoTally) -> None:
        direction = event.direction or ""
        if event.kind == "retry":
            trouble = explain(event.error) if event.error else problem("offline")
            self._note_trouble(trouble)
            self.auto = AutoStatus("retrying", retry_in=event.retry_in, problem=trouble)
        elif event.kind == "denied" and event.denial is not None:
            refused = await describe_refusal(self.db, event.denial)
            tally.refused.append(refused)
            await self._keep_refused([refused])
            self._recount.set()
        elif event.kind == "change":
            c = event.counters
            before = tally.logged.get(direction, (0, 0, 0, 0))
            now = (c.docs_written, c.attachments_written, c.bytes_sent or 0, c.bytes_received or 0)
            if direction == "push":
                await self._note_pushed(c.last_seq)
                tally.sent += now[0] - before[0]
                tally.sent_attachments += now[1] - before[1]
            else:
                tally.received += now[0] - before[0]
                tally.received_attachments += now[1] - before[1]
                if now[0] > before[0]:
                    await self._repair()
            tally.bytes_sent += now[2] - before[2]
            tally.bytes_received += now[3] - before[3]
            tally.logged[direction] = now
            self._recount.set()
        elif event.kind == "state":
            if event.state is State.ACTIVE:
                tally.caught_up[direction] = False
                self.auto = AutoStatus("active")
            elif event.state is State.PAUSED and event.error is None:
                tally.caught_up[direction] = True
                if all(tally.caught_up.get(d) for d in ("push", "pull")):
                    self.auto = AutoStatus("waiting")
                    self.last_ok_at = now_utc()
                    self.trouble = self.trouble_since = None
                    self._log_auto(tally)
                    self._recount.set()

    def _log_auto(self, tally: _AutoTally) -> None:
        if not tally.moved:
            return
        started = tally.started_at
        record = RunRecord(
            kind="auto",
            started_at=started.isoformat(),
            seconds=round((now_utc() - started).total_seconds(), 2),
            outcome="refused" if tally.refused else "ok",
            sent=tally.sent,
            sent_attachments=tally.sent_attachments,
            received=tally.received,
            received_attachments=tally.received_attachments,
            bytes_sent=tally.bytes_sent,
            bytes_received=tally.bytes_received,
            refused_count=len(tally.refused),
            refused=tuple(tally.refused),
        )
        try:
            self.log.append(record)
        except OSError as exc:
            log.warning("cannot write the sync log: %s", exc)
        tally.started_at = now_utc()
        tally.sent = tally.sent_attachments = tally.received = tally.received_attachments = 0
        tally.bytes_sent = tally.bytes_received = 0
        tally.refused = []
