"""``kiosk pull``: the village's public database into the kiosk's own store.

A kiosk's data folder holds ``kiosk.sqlite`` (what its pages read), ``kiosk-refused.sqlite``
(what arrived and was not on the allow-list, kept aside, see :mod:`.guard`) and
``.kiosk-source`` (the county address with the kiosk account's credentials, 0600: the kiosk
account reads the public database and nothing else). Its status (which village, from where,
when it last heard from the county, when something last changed) is a ``_local`` document in
the store, which is never replicated.

Only public twins are asked for (the kiosk selector), and the guard checks each again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import sync
from sync.database import Database
from sync.errors import NotFoundError
from sync.replication.options import public_location
from sync.replication.state import ReplicationEvent, State
from village_app.domain.dates import now_utc, parse_stamp, utc_stamp
from village_app.domain.publicity import kiosk_selector
from village_app.kiosk.guard import GuardedStore

log = logging.getLogger(__name__)

STORE_FILE: Final = "kiosk.sqlite"
QUARANTINE_FILE: Final = "kiosk-refused.sqlite"
SOURCE_FILE: Final = ".kiosk-source"
STATUS_ID: Final = "_local/kiosk"
#: After a failure a continuous pull cannot retry by itself (wrong credentials, a database
#: gone), try again this much later.
RETRY_SECONDS: Final = 300.0
_PUBLIC_DB: Final = re.compile(r"village_(\d{12})_public$")


class KioskSetupError(RuntimeError):
    """The data folder or the address do not say enough to pull."""


def village_of(url: str) -> str | None:
    """The village code a public database's address names (``.../village_<code>_public``)."""
    path = urlsplit(url).path.rstrip("/")
    found = _PUBLIC_DB.search(path.rsplit("/", 1)[-1])
    return found.group(1) if found else None


@dataclass(frozen=True)
class KioskFolder:
    data_dir: Path

    @property
    def store_path(self) -> Path:
        return self.data_dir / STORE_FILE

    @property
    def quarantine_path(self) -> Path:
        return self.data_dir / QUARANTINE_FILE

    @property
    def source_path(self) -> Path:
        return self.data_dir / SOURCE_FILE

    def source(self) -> str | None:
        try:
            text = self.source_path.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return text or None

    def save_source(self, url: str) -> None:
        """Kept readable by the kiosk's own account only (it holds the kiosk's password)."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.source_path.with_name(f"{SOURCE_FILE}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(url + "\n")
        os.replace(tmp, self.source_path)


@dataclass(frozen=True)
class KioskStatus:
    village: str
    source: str  # without credentials
    last_contact: str | None = None  # when the county last answered and all was in (UTC)
    last_change: str | None = None  # when the kiosk last received something new (UTC)
    refused: int = 0  # documents kept aside, in all

    def days_out_of_touch(self, now: datetime | None = None) -> float | None:
        if not self.last_contact:
            return None
        then = parse_stamp(self.last_contact)
        return ((now or now_utc()) - then).total_seconds() / 86400


async def read_status(db: Database) -> KioskStatus | None:
    try:
        doc = await db.get_local(STATUS_ID)
    except NotFoundError:
        return None
    fields = {k: doc.get(k) for k in KioskStatus.__dataclass_fields__}
    if not isinstance(fields.get("village"), str):
        return None
    return KioskStatus(
        village=str(fields["village"]),
        source=str(fields.get("source") or ""),
        last_contact=fields.get("last_contact")
        if isinstance(fields.get("last_contact"), str)
        else None,
        last_change=fields.get("last_change")
        if isinstance(fields.get("last_change"), str)
        else None,
        refused=int(fields.get("refused") or 0),
    )


async def _write_status(db: Database, **changes: Any) -> None:
    try:
        doc = await db.get_local(STATUS_ID)
    except NotFoundError:
        doc = {"_id": STATUS_ID}
    await db.put_local({**doc, **changes})


@dataclass
class PullResult:
    written: int
    refused: int
    state: State


async def pull(
    folder: KioskFolder,
    url: str,
    *,
    village: str | None = None,
    continuous: bool = False,
    on_event: Callable[[ReplicationEvent], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
) -> PullResult:
    """Replicate the public database at ``url`` into the kiosk's store (once, or until
    ``stop`` is set). Raises what the replication raised (wrong credentials, no network...)."""
    village = village or village_of(url)
    if village is None:
        raise KioskSetupError(
            "cannot tell the village from the address: give --village CODE "
            "(the public database is named village_<code>_public)"
        )
    folder.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = await sync.open_database(str(folder.store_path))
    quarantine = await sync.open_database(str(folder.quarantine_path))
    try:
        status = await read_status(store)
        if status is not None and status.village != village:
            raise KioskSetupError(
                f"{folder.store_path} holds village {status.village}, not {village}: "
                "use another data folder"
            )
        if status is None:
            await _write_status(store, village=village, source=public_location(url))
        guarded = GuardedStore(store, quarantine, village)
        written = 0

        async def events(event: ReplicationEvent) -> None:
            nonlocal written
            if event.kind == "change" and event.counters.docs_written > written:
                written = event.counters.docs_written
                await _write_status(store, last_change=utc_stamp())
            if event.kind == "state" and event.state in (State.PAUSED, State.COMPLETE):
                # Caught up with the county: this is what 最后更新 says.
                await _write_status(
                    store,
                    last_contact=utc_stamp(),
                    source=public_location(url),
                    refused=await _refused_count(quarantine),
                )
            if on_event is not None:
                await on_event(event)

        rep = sync.replicate(
            url,
            guarded,
            selector=kiosk_selector(),
            continuous=continuous,
            on_event=events,
        )
        rep.start()
        if stop is not None:
            waiter = asyncio.ensure_future(stop.wait())
            done_task = asyncio.ensure_future(rep.wait())
            await asyncio.wait({waiter, done_task}, return_when=asyncio.FIRST_COMPLETED)
            if not done_task.done():
                rep.cancel()
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
            await done_task
        else:
            await rep.wait()
        return PullResult(rep.counters.docs_written, guarded.refused, rep.state)
    finally:
        await quarantine.close()
        await store.close()


async def _refused_count(quarantine: Database) -> int:
    info = await quarantine.info()
    return int(info.get("doc_count", 0))


async def follow(
    folder: KioskFolder, url: str, stop: asyncio.Event, *, village: str | None = None
) -> None:
    """Keep pulling until ``stop`` is set (``serve --mode kiosk``): a continuous replication
    that retries by itself after network failures, started again after anything else."""
    while not stop.is_set():
        try:
            await pull(folder, url, village=village, continuous=True, stop=stop)
        except Exception as exc:  # logged and retried: the kiosk keeps showing what it has
            log.warning("kiosk pull from %s failed: %s", public_location(url), exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
