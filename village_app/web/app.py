"""The app factory: settings in, a Starlette app out.

Middleware, outermost first: sessions (signed cookie), the body-size limit, CSRF,
login required. The village database is opened at start-up and closed at
shutdown; while the data folder has no village yet, pages that need one say so.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import sync
from village_app import i18n, repo
from village_app.domain.errors import DomainError
from village_app.web import (
    attachments,
    auth,
    ceremonies,
    editing,
    lang,
    live,
    matter,
    matters,
    notices,
    organisation,
    overview,
    roster_conflicts,
    stages,
    supervision,
)
from village_app.web.errors import exception_handlers
from village_app.web.limits import BodyLimitMiddleware
from village_app.web.rendering import build_templates
from village_app.web.security import (
    CsrfMiddleware,
    LoginRequiredMiddleware,
    SecurityHeadersMiddleware,
)
from village_app.web.sessions import SessionRevocations
from village_app.web.settings import Settings
from village_app.web.throttle import LoginThrottle

SESSION_COOKIE = "cunyi_session"


async def health(request: Request) -> Response:
    """For monitoring, and the ceiling in ``bench/pages.py``: the same stack, no work."""
    return PlainTextResponse("ok")


def _routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/healthz", health, name="health")]
    for module in (auth, lang, overview, organisation, matters, editing, matter, stages, live, notices, attachments, supervision, ceremonies, roster_conflicts):
        routes.extend(module.routes)
    routes.append(Mount("/static", StaticFiles(directory=settings.static_dir), name="static"))
    return routes


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        path = settings.village_db_path()
        app.state.db = await sync.open_database(str(path), create=False) if path and path.exists() else None
        app.state.village = path.stem if path else None
        if app.state.db is not None:
            await repo.warm_up(app.state.db, app.state.village)
        await app.state.session_revocations.load(app.state.db)
        try:
            yield
        finally:
            if app.state.db is not None:
                await app.state.db.close()

    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
        Middleware(SecurityHeadersMiddleware),
        Middleware(
            SessionMiddleware,
            secret_key=settings.resolved_secret_key(),
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_max_age,
            same_site="lax",
            https_only=settings.https_only,
        ),
        Middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes),
        Middleware(CsrfMiddleware),
        Middleware(LoginRequiredMiddleware),
    ]
    handlers: Any = exception_handlers((DomainError,))
    app = Starlette(
        routes=_routes(settings),
        middleware=middleware,
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.routes_by_name = {
        name: route for route in app.routes if (name := getattr(route, "name", None))
    }
    app.state.templates_by_locale = {
        locale: build_templates(settings.templates_dir, locale) for locale in i18n.LOCALES
    }
    app.state.templates = app.state.templates_by_locale[i18n.DEFAULT_LOCALE]
    app.state.session_revocations = SessionRevocations(settings.session_max_age)
    app.state.login_throttle = LoginThrottle(settings.login_max_failures, settings.login_lockout_seconds)
    app.state.db = None
    app.state.village = None
    app.state.rules_cache = {}
    return app
