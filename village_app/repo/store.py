"""The village store: one village's records in one database, for one actor.

A request (or a command) makes one :class:`VillageStore` and calls it; the store owns what
would otherwise be threaded through every call: the database, the village code, who writes
(and the clock), and the caches kept for that village between requests. In the field it
stands for the laptop's one village; in county mode, for one village database of many.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.database import Database
from village_app.repo._base import VillageCaches
from village_app.repo.actor import Actor
from village_app.repo.ceremonies import CeremonyRecords
from village_app.repo.reviews import ReviewRecords
from village_app.repo.sealing import SealKey
from village_app.repo.search import SearchRecords
from village_app.repo.services import ServiceRecords
from village_app.repo.worthies import WorthiesRecords


@dataclass(eq=False)
class VillageStore(ReviewRecords, CeremonyRecords, SearchRecords, ServiceRecords, WorthiesRecords):
    db: Database
    village: str
    actor: Actor = field(default_factory=lambda: Actor("?"))
    caches: VillageCaches = field(default_factory=VillageCaches)
    #: The laptop's key for the sealed fields (a need's person); ``None``: they stay sealed.
    seal_key: SealKey | None = None
