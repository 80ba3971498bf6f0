"""What a running kiosk holds: its store (read for the pages) and the pull that keeps it
filled from the county; the villagers' ratings and the push that takes them to the county's
inbox; the visits (one rating per project per visit). Started with the app, stopped with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Final

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

import sync
from sync.database import Database
from sync.replication.options import public_location
from village_app.kiosk.pull import KioskFolder, follow, read_status, village_of
from village_app.kiosk.ratings import RatingBox, inbox_url, kiosk_account
from village_app.kiosk.ratings import follow as follow_ratings
from village_app.kiosk.reader import KioskReader
from village_app.web.kiosk.visits import Visits
from village_app.web.settings import Settings

log = logging.getLogger(__name__)
_KEY: Final = "cunyi_kiosk"


@dataclass(eq=False)
class KioskContext:
    folder: KioskFolder
    db: Database | None = None  # None until a first pull made the store
    reader: KioskReader | None = None
    #: Where villagers' ratings are kept until pushed (``None``: this kiosk has no account
    #: to send them with, so it asks for none).
    ratings: RatingBox | None = None
    visits: Visits = field(default_factory=Visits)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _push: asyncio.Task[None] | None = None

    async def refresh(self) -> KioskReader | None:
        """The reader, opening the store once a pull has made it (a kiosk started before its
        first pull shows that it has nothing yet, then its records once they arrive)."""
        if self.reader is not None:
            return self.reader
        if not self.folder.store_path.exists():
            return None
        db = await sync.open_database(str(self.folder.store_path), create=False)
        status = await read_status(db)
        if status is None:
            await db.close()
            return None
        self.db, self.reader = db, KioskReader(db, status.village)
        return self.reader


def kiosk(where: HTTPConnection | Starlette) -> KioskContext:
    app = where.app if isinstance(where, HTTPConnection) else where
    context: KioskContext = getattr(app.state, _KEY)
    return context


@contextlib.asynccontextmanager
async def running_kiosk(app: Starlette, settings: Settings) -> AsyncIterator[KioskContext]:
    """Open the kiosk's store and, unless told not to, follow the county while the app runs
    (from the address the last ``kiosk pull`` kept in the data folder)."""
    context = KioskContext(KioskFolder(settings.data_dir))
    setattr(app.state, _KEY, context)
    await context.refresh()
    source = context.folder.source()
    village = context.reader.village if context.reader else village_of(source or "")
    if settings.kiosk_follow and source and village is not None:
        log.info("kiosk: following %s", public_location(source))
        context._task = asyncio.create_task(
            follow(context.folder, source, context._stop, village=village)
        )
    elif settings.kiosk_follow:
        log.warning("kiosk: no county address to follow (run `village-app kiosk pull --from URL`)")
    device = kiosk_account(source)
    if village is not None and device is not None and source is not None:
        context.ratings = await RatingBox.open(settings.data_dir, village, device)
        if settings.kiosk_follow and inbox_url(source) is not None:
            context._push = asyncio.create_task(
                follow_ratings(context.ratings.db, source, context._stop)
            )
    try:
        yield context
    finally:
        context._stop.set()
        for task in (context._task, context._push):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, 10)
        if context.ratings is not None:
            await context.ratings.close()
        if context.db is not None:
            await context.db.close()
