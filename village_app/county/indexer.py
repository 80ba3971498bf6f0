"""The county indexer: follows every village database on the county's CouchDB into the
county index (``<folder>/index.sqlite``, read by :mod:`village_app.county.index`).

CouchDB cannot query across databases, so the county keeps its own copy of each
village (``<folder>/mirrors/<code>.sqlite``, an embedded store) and a summary of
it. A pass:

1. finds which ``village_<code>`` databases changed: from ``_db_updates`` when the
   server has it (Apache CouchDB with ``_global_changes``), from its own checkpoint,
   kept in the index; otherwise by listing ``_all_dbs`` and comparing each database's
   ``update_seq`` with the one last indexed (opaque: equality only). The first pass,
   with no checkpoint, lists every database either way;
2. pulls each changed database into its mirror with the replicator (its checkpoints
   make it read only what is new, also after a restart or a SIGKILL);
3. recomputes that village's rows from the mirror (:mod:`.summary`) and writes them,
   with where the database was read up to, in one transaction (:mod:`.tables`).

Before the villages, each kiosk inbox that changed (``kiosk_<code>_<account>_ratings``) is
merged into its village's database (:mod:`.inboxes`): the villagers' ratings given at the
kiosk are then indexed with the village's own, in the same pass.

A database deleted on the server loses its mirror and rows. One deleted and made
again under the same name is told apart by an identity marker: a ``_local``
document (never replicated, gone with the database) holding a random id, copied
into the mirror; when the two differ, the mirror is started again from nothing.

``run_forever`` follows the server (a longpoll on ``_db_updates``, or a poll every
``poll_interval`` seconds) and, when the server cannot be reached, backs off and
says so in one line until it answers again. One indexer per folder (a lock file).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import sync
from sync.couch_server import CouchServer
from sync.embedded.tables import TableFile
from sync.errors import (
    BadRequestError,
    CouchError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    UnauthorizedError,
)
from sync.replication.backoff import Backoff, is_transient
from sync.replication.options import public_location
from village_app.county import tables as t
from village_app.county.inboxes import Inbox, inboxes_of, merge_inbox
from village_app.county.mirrors import mark, open_mirror, remove_mirror
from village_app.county.summary import summarise
from village_app.domain.dates import utc_stamp
from village_app.domain.timeliness import DEFAULT_PUBLICATION_RULE, PublicationRule

log = logging.getLogger(__name__)

#: The ``meta`` key of the ``_db_updates`` checkpoint.
SINCE_KEY: Final = "db_updates_since"
#: The ``meta`` key of the server the index was made from (without credentials).
SERVER_KEY: Final = "server"
#: The ``meta`` key of the databases that failed, to be tried again (name: whether the
#: feed said it was created).
RETRY_KEY: Final = "retry"
#: The ``meta`` key prefix of each kiosk inbox's ``update_seq`` when last merged.
INBOX_KEY: Final = "inbox:"
LOCK_FILE: Final = "indexer.lock"

Mode = Literal["db_updates", "polling"]


class IndexerLocked(RuntimeError):
    """Another indexer works on this folder."""


@dataclass
class IndexerStats:
    """What the indexer did (since it was made)."""

    mode: Mode | None = None
    passes: int = 0
    dbs_seen: int = 0  # village databases looked at (update_seq compared)
    dbs_indexed: int = 0  # pulled and summarised
    dbs_unchanged: int = 0  # pulled, and nothing new reached the mirror
    dbs_dropped: int = 0  # deleted on the server: mirror and rows dropped
    dbs_reset: int = 0  # recreated on the server: mirror started again
    dbs_failed: int = 0  # left for the next pass (one line logged each)
    docs_read: int = 0  # revisions the replications fetched from the server
    requests: int = 0  # HTTP requests to the server
    ratings_merged: int = 0  # kiosk ratings copied from their inboxes into villages
    outages: int = 0  # times the server stopped answering (run_forever)
    retries: int = 0  # passes tried again after it did not answer
    failed: list[str] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IndexerOptions:
    """How the indexer works; every field has a default that suits a county server."""

    #: The village databases are ``<prefix><code>``, the code digits only (so
    #: ``village_<code>_public`` is left alone).
    prefix: str = "village_"
    #: Village databases pulled at once.
    concurrency: int = 4
    #: Seconds between passes where the server has no ``_db_updates``.
    poll_interval: float = 10.0
    #: Seconds a longpoll on ``_db_updates`` waits for a change.
    longpoll_timeout: float = 30.0
    #: Back-off while the server does not answer: the first delay, and the longest.
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    #: Revisions per replication batch (one checkpoint each).
    batch_size: int = 500
    #: Follow ``_db_updates`` where the server has it (``False``: always list ``_all_dbs``).
    use_db_updates: bool = True
    #: Kiosk inboxes are ``<inbox_prefix>kiosk_<code>_<account>_ratings`` (``None``: the
    #: village prefix without its ``village_``, so a test's prefix is kept).
    inbox_prefix: str | None = None
    rule: PublicationRule = DEFAULT_PUBLICATION_RULE
    clock: Callable[[], datetime] = _now


class CountyIndexer:
    """``CountyIndexer(couch_url, folder, **options)``: ``await run_once()`` or
    ``await run_forever()``. ``couch_url`` names the server with an admin's credentials
    (``http://admin:secret@host:5984``); ``options`` are :class:`IndexerOptions`."""

    def __init__(self, couch_url: str, folder: Path | str, **options: Any) -> None:
        self.couch_url = couch_url
        self.server_location = public_location(couch_url)
        self.folder = Path(folder)
        self.options = opts = IndexerOptions(**options)
        self._name = re.compile(re.escape(opts.prefix) + r"([0-9]+)")
        self._inbox_prefix = (
            opts.inbox_prefix
            if opts.inbox_prefix is not None
            else opts.prefix.removesuffix("village_")
        )
        self.stats = IndexerStats()
        self._server: CouchServer | None = None
        self._tables: TableFile | None = None
        self._lock: int | None = None
        self._server_requests = 0  # of the server's client, counted into stats already
        self._failing: dict[str, str] = {}  # databases failing, and why (said once)
        self._stop = asyncio.Event()

    # -- life ---------------------------------------------------------------
    async def _open(self) -> tuple[CouchServer, TableFile]:
        if self._tables is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._take_lock()
            self._tables = await t.open_tables(self.folder)
        if self._server is None:
            self._server = CouchServer(self.couch_url)
        return self._server, self._tables

    def _take_lock(self) -> None:
        fd = os.open(self.folder / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise IndexerLocked(f"another county indexer is working on {self.folder}") from None
        self._lock = fd

    async def close(self) -> None:
        if self._server is not None:
            self._count_server_requests()
            await self._server.close()
            self._server = None
        if self._tables is not None:
            await self._tables.close()
            self._tables = None
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    async def __aenter__(self) -> CountyIndexer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return (at its next wait)."""
        self._stop.set()

    def code_of(self, db_name: str) -> str | None:
        """The village code of a database this indexer follows, or ``None``."""
        found = self._name.fullmatch(db_name)
        return found.group(1) if found else None

    # -- passes -------------------------------------------------------------
    async def run_once(self) -> IndexerStats:
        """Catch up with the server once and return (what was done is in ``stats``)."""
        await self._pass("normal")
        return self.stats

    async def run_forever(self) -> None:
        """Catch up, then follow the server until :meth:`stop`. A server that cannot be
        reached is retried with a growing delay (up to ``backoff_max``), said once in the
        log, and said again when it answers."""
        backoff = Backoff(self.options.backoff_initial, self.options.backoff_max)
        down = False
        feed: Literal["normal", "longpoll"] = "normal"
        while not self._stop.is_set():
            try:
                if not await self._until_stopped(self._pass(feed)):
                    return
            except Exception as exc:
                if not isinstance(exc, NetworkError) and not is_transient(exc):
                    raise
                delay = backoff.next_delay()
                self.stats.retries += 1
                if not down:
                    self.stats.outages += 1
                    log.warning(
                        "county indexer: CouchDB at %s does not answer (%s); "
                        "retrying every %g s at most until it does",
                        self.server_location,
                        short_error(exc),
                        self.options.backoff_max,
                    )
                    down = True
                else:
                    log.debug("county indexer: still no answer (%s)", short_error(exc))
                feed = "normal"
                await self._sleep(delay)
                continue
            if down:
                log.warning("county indexer: CouchDB at %s answers again", self.server_location)
                down = False
            backoff.reset()
            if self.stats.mode == "db_updates":
                feed = "longpoll"  # the next pass waits on the server for a change
            else:
                feed = "normal"
                await self._sleep(self.options.poll_interval)

    async def _until_stopped(self, work: Coroutine[Any, Any, None]) -> bool:
        """Run ``work``; ``False`` if :meth:`stop` came first (it is then cancelled: every
        write it made is whole, see :mod:`.tables`, and the replicator's checkpoints hold)."""
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if task.done():
            task.result()
            return True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return False

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _pass(self, feed: Literal["normal", "longpoll"]) -> None:
        server, tables = await self._open()
        try:
            await self._check_server(tables)
            if self.stats.mode != "db_updates":  # found once; polling looks again each pass
                self.stats.mode = await self._mode(server)
            since = None
            if self.stats.mode == "db_updates":
                since = await t.get_meta(tables, SINCE_KEY)
            if since is None:
                await self._scan_all(server, tables)
            else:
                try:
                    await self._follow_updates(server, tables, since, feed)
                except (BadRequestError, NotFoundError) as exc:
                    # The feed went away, or does not know our checkpoint: list them all.
                    log.info("county indexer: _db_updates refused (%s)", short_error(exc))
                    await t.set_meta(tables, SINCE_KEY, None)
                    self.stats.mode = await self._mode(server)
                    await self._scan_all(server, tables)
            self.stats.passes += 1
        finally:
            self._count_server_requests()

    async def _check_server(self, tables: TableFile) -> None:
        """An index made from another server keeps nothing of that server's feed (its
        villages are compared, and their mirrors told apart, as any others)."""
        known = await t.get_meta(tables, SERVER_KEY)
        if known == self.server_location:
            return
        if known is not None:
            log.warning(
                "county indexer: %s was indexed from %s, now from %s",
                self.folder,
                known,
                self.server_location,
            )
        await t.set_meta(tables, SINCE_KEY, None)
        await t.set_meta(tables, SERVER_KEY, self.server_location)

    def _count_server_requests(self) -> None:
        if self._server is not None:
            total = self._server.stats.requests
            self.stats.requests += total - self._server_requests
            self._server_requests = total

    async def _mode(self, server: CouchServer) -> Mode:
        """``db_updates`` when the server answers ``_db_updates``, else ``polling``."""
        if not self.options.use_db_updates:
            return "polling"
        try:
            await server.db_updates(since="now")
        except (UnauthorizedError, ForbiddenError, NetworkError):
            raise
        except CouchError as exc:
            if is_transient(exc):
                raise
            if self.stats.mode != "polling":
                log.info(
                    "county indexer: %s has no _db_updates (%s); polling _all_dbs instead",
                    self.server_location,
                    short_error(exc),
                )
            return "polling"
        return "db_updates"

    async def _scan_all(self, server: CouchServer, tables: TableFile) -> None:
        """Every village database listed and compared (the first pass, and polling)."""
        head = None
        if self.stats.mode == "db_updates":
            # Taken before listing: whatever changes from here on is in the feed after it.
            head = (await server.db_updates(since="now"))["last_seq"]
        every = await server.all_dbs()
        await self._merge_inboxes(server, tables, inboxes_of(every, self._inbox_prefix))
        names = [n for n in every if self.code_of(n)]
        known = await t.states(tables)
        for gone in sorted(set(known) - set(names)):
            await self._drop(tables, known[gone].code)
        failed = await self._refresh_many(server, tables, dict.fromkeys(names, False), known)
        await t.set_meta(tables, RETRY_KEY, failed)
        if head is not None:
            await t.set_meta(tables, SINCE_KEY, head)

    async def _follow_updates(
        self,
        server: CouchServer,
        tables: TableFile,
        since: Any,
        feed: Literal["normal", "longpoll"],
    ) -> None:
        """The databases ``_db_updates`` names after ``since``, and those that failed last
        time (kept in the index, to be tried again, so that one broken database does not
        hold the checkpoint back)."""
        updates = await server.db_updates(
            since=since, feed=feed, timeout=self.options.longpoll_timeout
        )
        retry = await t.get_meta(tables, RETRY_KEY)
        names: dict[str, bool] = dict(retry) if isinstance(retry, dict) else {}
        changed = [
            str(row.get("db_name"))
            for row in updates.get("results", [])
            if isinstance(row, dict) and isinstance(row.get("db_name"), str)
        ]
        for village in await self._merge_inboxes(
            server, tables, inboxes_of(changed, self._inbox_prefix)
        ):
            # Written into just now: refreshed in this pass, not the next.
            names.setdefault(self.options.prefix + village, False)
        for row in updates.get("results", []):
            name = row.get("db_name") if isinstance(row, dict) else None
            if isinstance(name, str) and self.code_of(name):
                # "created": made (perhaps again) since; look at its identity whatever
                # its update_seq says.
                names[name] = names.get(name, False) or row.get("type") == "created"
        known = await t.states(tables)
        failed = await self._refresh_many(server, tables, names, known)
        await t.set_meta(tables, RETRY_KEY, failed)
        last = updates.get("last_seq")
        if last is not None and last != since:
            await t.set_meta(tables, SINCE_KEY, last)

    async def _refresh_many(
        self,
        server: CouchServer,
        tables: TableFile,
        names: dict[str, bool],
        known: dict[str, t.DbState],
    ) -> dict[str, bool]:
        """Refresh each database (``names``: whether to look at its identity whatever its
        update_seq), ``concurrency`` at a time; returns those that failed. A network failure
        stops the pass (the server is down: no point going on)."""
        gate = asyncio.Semaphore(self.options.concurrency)
        failed: dict[str, bool] = {}

        async def one(name: str, check_identity: bool) -> None:
            async with gate:
                try:
                    await self._refresh(server, tables, name, known.get(name), check_identity)
                except Exception as exc:
                    if isinstance(exc, NetworkError | UnauthorizedError) or is_transient(exc):
                        raise
                    failed[name] = check_identity
                    self._failed(name, exc)
                else:
                    if self._failing.pop(name, None) is not None:
                        log.warning("county indexer: %s indexed again", name)

        async with asyncio.TaskGroup() as group:
            for name, check_identity in names.items():
                group.create_task(one(name, check_identity))
        return failed

    async def _merge_inboxes(
        self, server: CouchServer, tables: TableFile, inboxes: list[Inbox]
    ) -> set[str]:
        """Copy what is new in each kiosk inbox into its village's database (see
        :mod:`.inboxes`); returns the villages something was written into. An inbox whose
        ``update_seq`` is the one last merged is not read; one that fails is logged and left
        for the next pass."""
        written: set[str] = set()
        for inbox in inboxes:
            key = f"{INBOX_KEY}{inbox.name}"
            try:
                seq = (await server.db_info(inbox.name)).get("update_seq")
                if t.same_seq(await t.get_meta(tables, key), seq):
                    continue
                count = await merge_inbox(server, inbox, self._inbox_prefix)
            except Exception as exc:
                if isinstance(exc, NetworkError | UnauthorizedError) or is_transient(exc):
                    raise
                self._failed(inbox.name, exc)
                continue
            await t.set_meta(tables, key, seq)
            if count:
                self.stats.ratings_merged += count
                written.add(inbox.village)
                log.info(
                    "county indexer: %d kiosk ratings from %s into village_%s",
                    count,
                    inbox.kiosk,
                    inbox.village,
                )
        return written

    def _failed(self, name: str, exc: Exception) -> None:
        """Count a database left for later; say so once (and again if the reason changes)."""
        self.stats.dbs_failed += 1
        self.stats.failed.append(name)
        reason = short_error(exc)
        said = self._failing.get(name)
        self._failing[name] = reason
        level = logging.DEBUG if said == reason else logging.WARNING
        log.log(level, "county indexer: %s left for the next pass: %s", name, reason)

    # -- one database -------------------------------------------------------
    async def _refresh(
        self,
        server: CouchServer,
        tables: TableFile,
        name: str,
        state: t.DbState | None,
        check_identity: bool,
    ) -> None:
        code = self.code_of(name)
        assert code is not None
        self.stats.dbs_seen += 1
        try:
            info = await server.db_info(name)
        except NotFoundError:
            if state is not None:
                await self._drop(tables, code)
            return
        seq = info.get("update_seq")
        if state is not None and t.same_seq(state.update_seq, seq) and not check_identity:
            return
        source = await server.database(name, create=False)
        try:
            instance = await mark(source)
            mirror, reset = await open_mirror(self.folder, code, instance)
            if reset:
                self.stats.dbs_reset += 1
                log.warning(
                    "county indexer: %s was deleted and made again on the server; "
                    "reading it from the start",
                    name,
                )
            try:
                rep = await sync.replicate(
                    source,
                    mirror,
                    batch_size=self.options.batch_size,
                    retries=2,
                    backoff_initial=0.2,
                    backoff_max=2.0,
                )
                self.stats.docs_read += rep.counters.docs_read
                mirror_seq = (await mirror.info())["update_seq"]
                if state is not None and not reset and state.mirror_seq == mirror_seq:
                    # Nothing reached the mirror (a _local write on the server, or a
                    # cluster naming the same point differently): the summary stands.
                    await t.note_seq(tables, code, seq)
                    self.stats.dbs_unchanged += 1
                    return
                summary = await summarise(mirror, code, rule=self.options.rule)
            finally:
                await mirror.close()
            await t.save_village(
                tables,
                summary,
                db_name=name,
                update_seq=seq,
                instance=instance,
                now=utc_stamp(self.options.clock()),
                mirror_seq=mirror_seq,
            )
            self.stats.dbs_indexed += 1
            log.info(
                "county indexer: %s indexed (%d revisions read, %d matters)",
                name,
                rep.counters.docs_read,
                len(summary.matters),
            )
        finally:
            self.stats.requests += source.stats.requests
            await source.close()

    async def _drop(self, tables: TableFile, code: str) -> None:
        name = self.options.prefix + code
        log.info("county indexer: %s is gone from the server; dropped", name)
        await t.drop_village(tables, code)
        remove_mirror(self.folder, code)
        self.stats.dbs_dropped += 1


def short_error(exc: BaseException) -> str:
    """An error in one line, without the traceback."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
