"""The kiosk's one write: villagers' 五心 ratings, kept in a store of their own and pushed to
the kiosk's inbox on the county (:mod:`village_app.county.inboxes`).

``kiosk-ratings.sqlite`` sits beside ``kiosk.sqlite`` in the data folder and holds nothing
but the ratings given at this kiosk: the public store stays a pure copy of the county's
public database, and nothing the kiosk writes can mix with what it shows. Each rating is a
``service_rating`` document as the laptop writes one (``source="kiosk"``, the kiosk's
account as ``device`` and ``created_by``), anonymous: which project, the scores, the day.

The inbox's address comes from the public database's (the same server, the same account):
``…/<prefix>village_<code>_public`` → ``…/<prefix>kiosk_<code>_<account>_ratings``. The
push is the replicator's, continuous while the kiosk runs (``serve --mode kiosk``), or once
(``village-app kiosk push``); a kiosk offline keeps its ratings and they go at the next push,
from the replication's checkpoint."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import sync
from sync.database import Database
from sync.errors import NotFoundError
from sync.replication.options import public_location
from sync.replication.state import ReplicationEvent, State
from village_app.county import roles
from village_app.domain.dates import utc_stamp
from village_app.domain.services.public import kiosk_rating
from village_app.repo.actor import Actor
from village_app.repo.docs.services import rating_to_doc

log = logging.getLogger(__name__)

RATINGS_FILE: Final = "kiosk-ratings.sqlite"
#: When the last push reached the county, and how many ratings it had sent by then.
PUSH_STATUS: Final = "_local/kiosk-push"
#: After a failure the continuous push cannot retry by itself (wrong credentials, an inbox
#: not made yet), try again this much later.
RETRY_SECONDS: Final = 300.0


def ratings_path(data_dir: Path) -> Path:
    return data_dir / RATINGS_FILE


def kiosk_account(source_url: str | None) -> str | None:
    """The kiosk's account, as the public database's address names it."""
    if not source_url:
        return None
    name = urlsplit(source_url).username
    return unquote(name) if name else None


def inbox_url(source_url: str) -> str | None:
    """The kiosk's inbox beside the public database at ``source_url`` (credentials kept), or
    ``None`` when the address does not say which village or account."""
    parts = urlsplit(source_url)
    account = kiosk_account(source_url)
    head, _, last = parts.path.rstrip("/").rpartition("/")
    last = unquote(last)
    marker = "village_"
    at = last.rfind(marker)
    if account is None or at < 0 or not last.endswith("_public"):
        return None
    prefix, code = last[:at], last[at + len(marker) : -len("_public")]
    if not (len(code) == 12 and code.isdigit()):
        return None
    name = roles.kiosk_inbox(code, account, prefix)
    return urlunsplit(parts._replace(path=f"{head}/{quote(name, safe='')}"))


@dataclass(frozen=True)
class PushStatus:
    last_push: str | None  # when the county last had everything (UTC)
    pending: int  # ratings not known to have reached it


class RatingBox:
    """The kiosk's ratings store: written by the rating form, read by the push."""

    def __init__(self, db: Database, village: str, device: str) -> None:
        self.db = db
        self.village = village
        self.device = device

    @classmethod
    async def open(cls, data_dir: Path, village: str, device: str) -> RatingBox:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        db = await sync.open_database(str(ratings_path(data_dir)))
        return cls(db, village, device)

    async def close(self) -> None:
        await self.db.close()

    async def record(self, project_id: str, scores: dict[str, int], day: date) -> str:
        """Keep one villager's rating (validated; :class:`ValidationError` otherwise);
        returns its id."""
        rating = kiosk_rating(project_id, scores, day, self.device)
        doc = rating_to_doc(self.village, rating, Actor(self.device))
        await self.db.put(doc)
        return str(doc["_id"])

    async def status(self) -> PushStatus:
        info = await self.db.info()
        total = int(info.get("doc_count", 0))
        try:
            pushed = await self.db.get_local(PUSH_STATUS)
        except NotFoundError:
            return PushStatus(None, total)
        sent = pushed.get("docs")
        last = pushed.get("last_push")
        return PushStatus(
            last if isinstance(last, str) else None,
            max(0, total - (sent if isinstance(sent, int) else 0)),
        )


class NoInbox(ValueError):
    """The kiosk's address names no account or no public database: no inbox to push to."""


async def push(
    db: Database, source_url: str, *, continuous: bool = False, stop: asyncio.Event | None = None
) -> int:
    """Push the ratings store ``db`` to the kiosk's inbox (once, or until ``stop``); returns
    the ratings written there. Raises what the replication raised (no network, wrong
    credentials). The running kiosk passes the store its form writes into (one instance, so
    that a continuous push hears of each new rating at once)."""
    target = inbox_url(source_url)
    if target is None:
        raise NoInbox(
            f"{public_location(source_url)}: cannot tell the kiosk's inbox from this address "
            "(it names no kiosk account or no village_<code>_public database)"
        )

    async def events(event: ReplicationEvent) -> None:
        if event.kind == "state" and event.state in (State.PAUSED, State.COMPLETE):
            info = await db.info()
            await _write_status(db, last_push=utc_stamp(), docs=int(info.get("doc_count", 0)))

    rep = sync.replicate(db, target, continuous=continuous, on_event=events)
    rep.start()
    if stop is not None:
        waiter = asyncio.ensure_future(stop.wait())
        done = asyncio.ensure_future(rep.wait())
        await asyncio.wait({waiter, done}, return_when=asyncio.FIRST_COMPLETED)
        if not done.done():
            rep.cancel()
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        await done
    else:
        await rep.wait()
    if rep.denied:
        log.warning(
            "kiosk push to %s: %d ratings refused by the county (%s)",
            public_location(target),
            len(rep.denied),
            rep.denied[0].reason,
        )
    return rep.counters.docs_written


async def _write_status(db: Database, **changes: object) -> None:
    try:
        doc = await db.get_local(PUSH_STATUS)
    except NotFoundError:
        doc = {"_id": PUSH_STATUS}
    await db.put_local({**doc, **changes})


async def follow(db: Database, source_url: str, stop: asyncio.Event) -> None:
    """Keep pushing until ``stop`` (``serve --mode kiosk``): a continuous replication that
    retries by itself after network failures, started again after anything else."""
    while not stop.is_set():
        try:
            await push(db, source_url, continuous=True, stop=stop)
        except Exception as exc:  # logged and retried: the ratings wait in the store
            log.warning("kiosk ratings push failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RETRY_SECONDS)
