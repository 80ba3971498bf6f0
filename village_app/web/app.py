"""The app factory: settings in, a Starlette app out.

Middleware, outermost first: allowed hosts, security headers, sessions (signed cookie), ended
sessions, authentication (who is signed in, and their role), the body limits (size and time:
a login form's before signing in, an attachment's after), CSRF.
Whom each route admits is declared on the route (:mod:`.security.permissions`) and checked
after routing. The village database is opened at start-up and closed at shutdown; while the
data folder has no village yet, pages that need one say so.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

import sync
from village_app import i18n, repo
from village_app.domain.errors import DomainError
from village_app.syncing.service import SyncService
from village_app.web.county import bundles as county_bundles
from village_app.web.county import pages as county_pages
from village_app.web.county import services as county_services
from village_app.web.county import verify as county_verify
from village_app.web.county.open import open_county
from village_app.web.errors import exception_handlers
from village_app.web.kiosk import pages as kiosk_pages
from village_app.web.kiosk import services as kiosk_services
from village_app.web.kiosk.context import running_kiosk
from village_app.web.pages import (
    attachments,
    auth,
    ceremonies,
    editing,
    guide,
    lang,
    ledgers,
    live,
    matter,
    matters,
    needs,
    notices,
    organisation,
    overview,
    posts,
    roster_conflicts,
    rules,
    search,
    service_corrections,
    services,
    stages,
    supervision,
    sync_bundle,
    sync_page,
    unreadable,
    worthies,
)
from village_app.web.rendering.templates import build_templates
from village_app.web.security.charset import FormCharsetMiddleware
from village_app.web.security.csrf import CsrfMiddleware
from village_app.web.security.hashing import PasswordHashing
from village_app.web.security.headers import SecurityHeadersMiddleware
from village_app.web.security.limits import BodyLimit, BodyLimitMiddleware
from village_app.web.security.permissions import (
    PUBLIC,
    PublicMount,
    SessionBackend,
    route,
    routes_without_access,
)
from village_app.web.security.sessions import EndedSessionMiddleware, SessionRevocations
from village_app.web.security.throttle import LoginThrottle
from village_app.web.settings import Settings
from village_app.web.state import AppState, app_state, install

SESSION_COOKIE = "cunyi_session"

log = logging.getLogger(__name__)


async def health(request: Request) -> Response:
    """For monitoring, and the ceiling in ``bench/pages.py``: the same stack, no work."""
    return PlainTextResponse("ok")


def _routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [route("/healthz", health, name="health", access=PUBLIC)]
    modules: tuple[Any, ...] = (
        (auth, lang, county_pages, county_services, county_verify, county_bundles)
        if settings.mode == "county"
        else _FIELD_PAGES
    )
    if settings.mode == "kiosk":
        # No login, no language form; the one thing posted is a villager's rating.
        modules = (kiosk_pages, kiosk_services)
    for module in modules:
        routes.extend(module.routes)
    routes.append(PublicMount("/static", StaticFiles(directory=settings.static_dir), name="static"))
    undeclared = routes_without_access(routes)
    if undeclared:  # each would be open to anyone: refuse to start
        raise RuntimeError(f"routes without a declared access: {', '.join(undeclared)}")
    return routes


_FIELD_PAGES: Final = (
    auth,
    lang,
    overview,
    organisation,
    matters,
    editing,
    matter,
    stages,
    live,
    notices,
    attachments,
    supervision,
    ceremonies,
    services,
    needs,
    posts,
    service_corrections,
    ledgers,
    roster_conflicts,
    unreadable,
    search,
    rules,
    worthies,
    guide,
    sync_page,
    sync_bundle,
)


async def _open_village(state: AppState, path: Path) -> sync.Database:
    """The village database; one that cannot be written (a read-only folder or medium) is
    opened for reading: the app serves its pages, says on each that nothing can be saved,
    and refuses each save with that message (see ``village-app serve``)."""
    try:
        return await sync.open_database(str(path), create=False)
    except sync.ReadOnlyStorageError as exc:
        log.warning("serving read-only: %s", exc.reason)
        db = await sync.open_database(str(path), create=False, read_only=True)
        state.read_only = True
        return db


def _laptop_keys(settings: Settings, village: str) -> Any:
    """The laptop's keys, which sign what it publishes (made on first use, 0600); ``None``
    where they cannot be kept (a read-only folder): publications are then signed later."""
    from village_app.bundle.keys import BadKey, laptop_keys

    try:
        return laptop_keys(settings.data_dir, village)
    except (OSError, BadKey) as exc:
        log.warning("publications left unsigned: no laptop key (%s)", exc)
        return None


def _templates(settings: Settings) -> dict[str, Any]:
    """One Jinja environment per language; ``mode`` tells the shared layout which app it is
    in (the navigation, the header's search)."""
    built = {}
    for locale in i18n.LOCALES:
        templates = build_templates(settings.templates_dir, locale)
        templates.env.globals["mode"] = settings.mode
        built[locale] = templates
    return built


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = app_state(app)
        if settings.mode == "kiosk":
            async with running_kiosk(app, settings):
                yield
            return
        if settings.mode == "county":
            state.county = await open_county(settings)
            try:
                yield
            finally:
                await state.county.close()
            return
        path = settings.village_db_path()
        state.db = await _open_village(state, path) if path and path.exists() else None
        state.village = path.stem if path else None
        if state.db is not None and state.village is not None:
            store = repo.VillageStore(
                state.db, state.village, caches=state.caches_for(state.village)
            )
            store.caches.signer = _laptop_keys(settings, state.village)
            try:
                await store.warm_up()
            except sync.ReadOnlyStorageError:
                # Derived values that disagree with the evidence cannot be repaired in a
                # file that cannot be written; the pages read the evidence all the same.
                log.warning("%s: read-only, derived values were not repaired", path)
            await store.warm_up_search()
            state.sync = SyncService(
                settings.data_dir,
                state.db,
                state.village,
                state.caches_for(state.village),
                read_only=state.read_only,
            )
            await state.sync.start()
        await state.session_revocations.load(state.db)
        try:
            yield
        finally:
            if state.sync is not None:
                await state.sync.close()
            if state.db is not None:
                await state.db.close()

    revocations = SessionRevocations(settings.session_max_age)
    middleware = [
        # Outermost, so that every answer has them (the host check's refusals too).
        Middleware(SecurityHeadersMiddleware),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
        Middleware(
            SessionMiddleware,
            secret_key=settings.resolved_secret_key(),
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_max_age,
            same_site="lax",
            https_only=settings.https_only,
        ),
        Middleware(EndedSessionMiddleware, revocations=revocations),
        Middleware(AuthenticationMiddleware, backend=SessionBackend()),
        # Inside authentication: the limits depend on whether anyone is signed in. Outside
        # CSRF, which reads the body to find the form's token.
        Middleware(
            BodyLimitMiddleware,
            signed_in=BodyLimit(settings.max_body_bytes, settings.body_timeout_seconds),
            anonymous=BodyLimit(
                settings.max_anonymous_body_bytes, settings.anonymous_body_timeout_seconds
            ),
        ),
        Middleware(FormCharsetMiddleware),
        Middleware(CsrfMiddleware),
    ]
    handlers: Any = exception_handlers((DomainError,))
    app = Starlette(
        routes=_routes(settings),
        middleware=middleware,
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    install(
        app.state,
        AppState(
            settings=settings,
            templates_by_locale=_templates(settings),
            routes_by_name={name: r for r in app.routes if (name := getattr(r, "name", None))},
            session_revocations=revocations,
            login_throttle=LoginThrottle(
                max_failures=settings.login_max_failures,
                first_delay=settings.login_first_delay_seconds,
                max_delay=settings.login_max_delay_seconds,
                forget_after=settings.login_forget_seconds,
            ),
            password_hashing=PasswordHashing(
                settings.login_hash_threads, settings.login_hash_queue
            ),
        ),
    )
    return app
