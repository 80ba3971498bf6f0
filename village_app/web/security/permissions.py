"""Who may open which route, declared where the route is declared.

Signing in is Starlette's own authentication: :class:`SessionBackend` reads the signed-in
user from the session, so ``request.user`` and ``request.auth.scopes`` (``"authenticated"`` and
the account's role) are set for every request. Each route is made with :func:`route` and names
the :class:`Access` it admits; the check runs after routing, in the route itself, so a new URL
inherits nothing from whatever prefix it shares. :func:`routes_without_access` lets the app
refuse to start, and the tests fail, when a route declares nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Final
from urllib.parse import urlencode

from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from village_app.accounts import ROLES
from village_app.web.errors import error_response
from village_app.web.rendering.templates import is_htmx

Endpoint = Callable[[Request], Awaitable[Response]]
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Access:
    """The roles a route admits; ``None``: anyone, signed in or not."""

    roles: frozenset[str] | None
    label: str

    def admits(self, scopes: Collection[str]) -> bool:
        return self.roles is None or (
            "authenticated" in scopes and not self.roles.isdisjoint(scopes)
        )


#: The login page, the language switch, static files, the health check.
PUBLIC: Final = Access(None, "public")
#: Every signed-in account: reading the records, logging out.
SIGNED_IN: Final = Access(frozenset(ROLES), "signed in")
#: Keeping records, and what only the secretary reads (the 红白事 register names families).
SECRETARY: Final = Access(frozenset({"secretary"}), "secretary")


class SessionBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser] | None:
        user = conn.scope.get("session", {}).get("user")
        if not isinstance(user, dict) or not user.get("name"):
            return None
        role = user.get("role")
        scopes = ["authenticated", *([role] if isinstance(role, str) and role in ROLES else [])]
        return AuthCredentials(scopes), SimpleUser(str(user["name"]))


def _guarded(endpoint: Endpoint, access: Access) -> Endpoint:
    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        scopes = request.auth.scopes if "auth" in request.scope else []
        if access.admits(scopes):
            return await endpoint(request)
        if "authenticated" in scopes:
            return error_response(request, 403)
        return _to_login(request)

    return guarded


def _to_login(request: Request) -> Response:
    login_url = str(request.url_for("login"))
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": login_url})
    if request.method in SAFE_METHODS:
        query = request.url.query
        target = request.url.path + (f"?{query}" if query else "")
        return RedirectResponse(f"{login_url}?{urlencode({'next': target})}", status_code=303)
    return error_response(request, 401)


class GuardedRoute(Route):
    """A route that says whom it admits (:attr:`access`)."""

    def __init__(
        self, path: str, endpoint: Endpoint, *, access: Access, methods: Iterable[str], name: str
    ) -> None:
        self.access = access
        super().__init__(path, _guarded(endpoint, access), methods=list(methods), name=name)


class PublicMount(Mount):
    """A mounted app anyone may read (the static files)."""

    access = PUBLIC

    def __init__(self, path: str, app: ASGIApp, *, name: str) -> None:
        super().__init__(path, app=app, name=name)


def route(
    path: str, endpoint: Endpoint, *, name: str, access: Access, methods: Iterable[str] = ("GET",)
) -> GuardedRoute:
    """A route and whom it admits, in one declaration."""
    return GuardedRoute(path, endpoint, access=access, methods=methods, name=name)


def back_to(path: str, page_name: str, *, name: str) -> GuardedRoute:
    """A GET on a URL that only takes a form's POST (the address bar after a refused save,
    reloaded or entered again) goes to the page the form is on instead of a 405."""

    async def redirect(request: Request) -> Response:
        target = next(r for r in request.app.routes if getattr(r, "name", None) == page_name)
        params = {k: v for k, v in request.path_params.items() if k in target.param_convertors}
        return RedirectResponse(request.url_for(page_name, **params), status_code=303)

    return route(path, redirect, name=name, access=SIGNED_IN)


def routes_without_access(routes: Iterable[BaseRoute]) -> list[str]:
    """Routes that do not declare whom they admit (each would be open to anyone)."""
    return [
        str(getattr(r, "path", r))
        for r in routes
        if not isinstance(getattr(r, "access", None), Access)
    ]
