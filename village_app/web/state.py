"""The application's state, typed: what one running app holds between requests.

Handlers and middleware read it through :func:`app_state` (never ``request.app.state.*``
directly), so every field has one declared type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute

from sync.database import Database
from village_app.repo import VillageCaches
from village_app.syncing.service import SyncService
from village_app.web.county.context import CountyContext
from village_app.web.security.hashing import PasswordHashing
from village_app.web.security.sessions import SessionRevocations
from village_app.web.security.throttle import LoginThrottle
from village_app.web.settings import Settings

_KEY: Final = "cunyi"


@dataclass(eq=False)
class AppState:
    settings: Settings
    #: One Jinja environment per language (its templates translated when compiled).
    templates_by_locale: dict[str, Jinja2Blocks]
    routes_by_name: dict[str, BaseRoute]
    session_revocations: SessionRevocations
    login_throttle: LoginThrottle
    password_hashing: PasswordHashing
    #: The field laptop's village database (``None`` while the data folder has none yet).
    db: Database | None = None
    village: str | None = None
    #: The village database could not be opened for writing (a read-only folder or file):
    #: it is served for reading, and every page says so.
    read_only: bool = False
    #: County mode: the registry, the county index, the county CouchDB (``None`` in field mode).
    county: CountyContext | None = None
    #: Field mode: the sync with the county (``None`` while the data folder has no village).
    sync: SyncService | None = None
    #: What each village's store keeps between requests (matters index, rule book), by code.
    caches: dict[str, VillageCaches] = field(default_factory=dict)

    def caches_for(self, village: str) -> VillageCaches:
        return self.caches.setdefault(village, VillageCaches())


def app_state(where: HTTPConnection | Starlette) -> AppState:
    """The state of the app serving a request (or of the app itself)."""
    app = where.app if isinstance(where, HTTPConnection) else where
    state: AppState = getattr(app.state, _KEY)
    return state


def install(app_state_holder: object, state: AppState) -> None:
    """Attach ``state`` to a Starlette app's ``state``."""
    setattr(app_state_holder, _KEY, state)
