"""Session-level guards: CSRF on every unsafe request, and a login for every page.

Both are pure ASGI middleware inside :class:`starlette.middleware.sessions.SessionMiddleware`
(they read ``scope["session"]``). The CSRF token lives in the signed session; htmx
sends it as the ``X-CSRF-Token`` header (``hx-headers`` on ``<body>``), plain forms as
the hidden ``csrf_token`` field. To read that field the body is buffered (the body
limit sits outside, so this is bounded) and replayed to the handler.
"""

from __future__ import annotations

import secrets
from typing import Final
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from village_app.i18n import N_
from village_app.web.errors import error_response
from village_app.web.rendering import CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, is_htmx
from village_app.web.sessions import SESSION_ID_KEY, SessionRevocations

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Paths anyone may request without a session.
PUBLIC_PREFIXES: Final = ("/login", "/static/", "/lang", "/favicon.ico", "/healthz")


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        token = request.headers.get(CSRF_HEADER)
        if token is None:
            body = await request.body()
            token = await _form_token(scope, body)
            receive = _replay(body)
        expected = scope.get("session", {}).get(CSRF_SESSION_KEY)
        if not token or not expected or not secrets.compare_digest(str(token), str(expected)):
            # The body is already consumed; let the client close rather than pipeline after it.
            await error_response(request, 403, N_("页面已过期或请求来源不明，请刷新页面后重新提交。"))(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


async def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = Request(scope).headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    form: FormData
    try:
        form = await Request(scope, _replay(body)).form()
    except Exception:  # a malformed body simply has no token
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class LoginRequiredMiddleware:
    """Every page but the public ones needs a signed-in user in the session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        if session and session.get("user") and not _live(scope, session):
            session.clear()  # ended at logout (or from before session ids): signed out
        if scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        user = scope.get("session", {}).get("user")
        if user:
            writes = scope["method"] not in SAFE_METHODS and scope["path"] not in _ANY_ROLE_POSTS
            if (writes or scope["path"].startswith(_SECRETARY_ONLY)) and not _may_write(user):
                # Viewer and reviewer accounts read; in the field only the secretary keeps records.
                await error_response(Request(scope, receive), 403)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        login_url = str(request.url_for("login"))
        response: Response
        if is_htmx(request):
            response = Response(status_code=204, headers={"HX-Redirect": login_url})
        elif scope["method"] in SAFE_METHODS:
            target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            response = RedirectResponse(f"{login_url}?{urlencode({'next': target})}", status_code=303)
        else:
            response = error_response(request, 401)
        await response(scope, receive, send)


#: Unsafe requests every signed-in account may make (the rest change records).
_ANY_ROLE_POSTS: Final = frozenset({"/logout"})
#: Pages only the secretary reads: the 红白事 register names families (docs/web.md, Privacy).
_SECRETARY_ONLY: Final = ("/ceremonies",)
#: Roles that keep records (``accounts.ROLES``: secretary, reviewer, viewer).
_WRITING_ROLES: Final = frozenset({"secretary"})


def _may_write(user: object) -> bool:
    return isinstance(user, dict) and user.get("role") in _WRITING_ROLES


def _live(scope: Scope, session: dict[str, object]) -> bool:
    """A signed-in session that logout has not ended (its cookie may still be signed and fresh)."""
    session_id = session.get(SESSION_ID_KEY)
    revocations: SessionRevocations = scope["app"].state.session_revocations
    return isinstance(session_id, str) and not revocations.is_ended(session_id)


#: Everything the pages need comes from this server: no inline script, no third party, no framing.
_SECURITY_HEADERS: Final = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                if not static and b"cache-control" not in present:
                    # Pages show private records: on a shared village laptop, Back after
                    # logout must not bring them out of the browser's cache.
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
