"""CSRF on every unsafe request.

A pure ASGI middleware inside :class:`starlette.middleware.sessions.SessionMiddleware`
(it reads ``scope["session"]``). The CSRF token lives in the signed session; htmx
sends it as the ``X-CSRF-Token`` header (``hx-headers`` on ``<body>``), plain forms as
the hidden ``csrf_token`` field, which our forms put first. That field is looked for while
the body arrives, and reading stops once it is found (:mod:`.form_token`): what was read is
replayed to the handler, and the rest streams on, so a signed-in 10 MB upload is no longer
held in memory here (it was, whole: about 9 MB per request). The body limit sits outside, so
whatever is read is bounded (to a login form's size while no one is signed in). A session
that holds no token cannot pass: it is refused before a byte of the body is read.
"""

from __future__ import annotations

import secrets
from typing import Final

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from village_app.i18n import N_
from village_app.web.errors import FIELD_TOO_LARGE, error_response
from village_app.web.rendering.templates import CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY
from village_app.web.security.form_token import BodyPrefix, FieldTooLarge, TokenScanner

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        expected = scope.get("session", {}).get(CSRF_SESSION_KEY)
        token = request.headers.get(CSRF_HEADER)
        prefix: BodyPrefix | None = None
        try:
            if token is None and expected:
                prefix = BodyPrefix()
                try:
                    token = await _read_to_token(request, prefix)
                except FieldTooLarge:
                    response = error_response(request, 413, FIELD_TOO_LARGE)
                    response.headers["connection"] = "close"
                    await response(scope, receive, send)
                    return
                receive = prefix.replay(receive)
            if not token or not expected or not secrets.compare_digest(str(token), str(expected)):
                # The body may be unread or partly read: close rather than read what is left.
                message = N_("页面已过期或请求来源不明，请刷新页面后重新提交。")
                response = error_response(request, 403, message)
                response.headers["connection"] = "close"
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)
        finally:
            if prefix is not None:
                prefix.close()


async def _read_to_token(request: Request, prefix: BodyPrefix) -> str | None:
    """Read the body until the form's token field is complete (or the body ends), keeping what
    was read in ``prefix``; the token, or ``None`` for a body without one."""
    scanner = TokenScanner(request.headers.get("content-type", ""), CSRF_FIELD)
    while scanner.possible and prefix.more:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        prefix.keep(chunk, more=message.get("more_body", False))
        scanner.feed(chunk)
        if not prefix.more:
            scanner.end()
    return scanner.token if scanner.found else None
