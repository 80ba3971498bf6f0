"""What the county app holds while it runs: the registry, the county index, the county CouchDB
(an administrator's connection: the indexer, and reviews written on a reviewer's behalf after
the same rule check CouchDB runs), and the mirrors of village databases opened for matter
pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sync
from sync.couch_server import CouchServer
from sync.database import Database
from village_app.county import roles
from village_app.county.index import CountyIndex
from village_app.county.registry import Registry, Village

log = logging.getLogger(__name__)

#: Roles that see and review every village of the county.
COUNTY_WIDE = frozenset({roles.COUNTY_REVIEWER, roles.COUNTY_ADMIN, roles.SERVER_ADMIN})


@dataclass(frozen=True)
class Staff:
    """A signed-in member of county or township staff, as CouchDB's ``_session`` said."""

    name: str
    couch_roles: tuple[str, ...]

    @classmethod
    def of(cls, user: dict[str, Any] | None) -> Staff:
        user = user or {}
        couch_roles = user.get("couch_roles")
        return cls(
            str(user.get("name", "")),
            tuple(str(r) for r in couch_roles) if isinstance(couch_roles, list) else (),
        )

    @property
    def county_wide(self) -> bool:
        return not COUNTY_WIDE.isdisjoint(self.couch_roles)

    def townships(self, registry: Registry) -> list[str]:
        """The 3-digit codes of the townships this person reviews."""
        if self.county_wide:
            return [t.code for t in registry.townships]
        mine = {roles.township_role(registry.code + t.code): t.code for t in registry.townships}
        return [mine[r] for r in self.couch_roles if r in mine]

    def villages(self, registry: Registry) -> list[Village]:
        townships = set(self.townships(registry))
        return [v for v in registry.villages if v.township in townships]

    def may_review(self, registry: Registry, code: str) -> bool:
        village = registry.village(code)
        return village is not None and village.township in self.townships(registry)


def is_staff(couch_roles: Iterable[str]) -> bool:
    """County or township staff (not a village's secretary, not a kiosk)."""
    return any(r in COUNTY_WIDE or r.startswith("township_") for r in couch_roles)


@dataclass(eq=False)
class CountyContext:
    registry: Registry
    index: CountyIndex
    server: CouchServer
    #: The server's address without credentials: staff sign in here (``_session``).
    base_url: str
    prefix: str = ""
    indexer: Any = None
    indexer_task: asyncio.Task[None] | None = None
    #: Opened mirrors, by code, with the file's inode: the indexer replaces a mirror whose
    #: database was deleted and made again on the server.
    _mirrors: dict[str, tuple[int, Database]] = field(default_factory=dict)

    def database_name(self, code: str) -> str:
        return roles.village_database(code, self.prefix)

    def township_code(self, village: Village) -> str:
        return self.registry.code + village.township

    async def mirror(self, code: str) -> Database | None:
        """The county's copy of a village's database, or ``None`` before its first index."""
        path = self.index.mirror_path(code)
        try:
            inode = path.stat().st_ino
        except FileNotFoundError:
            return None
        opened = self._mirrors.get(code)
        if opened is not None and opened[0] == inode:
            return opened[1]
        if opened is not None:
            with contextlib.suppress(Exception):
                await opened[1].close()
        db = await sync.open_database(str(path), create=False)
        self._mirrors[code] = (inode, db)
        return db

    async def close(self, *, mirrors_only: bool = False) -> None:
        for _, db in self._mirrors.values():
            with contextlib.suppress(Exception):
                await db.close()
        self._mirrors.clear()
        if mirrors_only:
            return
        if self.indexer is not None:
            self.indexer.stop()
        if self.indexer_task is not None:
            self.indexer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.indexer_task
        if self.indexer is not None:
            await self.indexer.close()
        await self.index.close()
        await self.server.close()


def codes(villages: Sequence[Village]) -> list[str]:
    return [v.code for v in villages]
