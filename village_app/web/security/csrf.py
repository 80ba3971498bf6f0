"""CSRF on every unsafe request.

A pure ASGI middleware inside :class:`starlette.middleware.sessions.SessionMiddleware`
(it reads ``scope["session"]``). The CSRF token lives in the signed session; htmx
sends it as the ``X-CSRF-Token`` header (``hx-headers`` on ``<body>``), plain forms as
the hidden ``csrf_token`` field. To read that field the body is buffered and replayed to
the handler; the body limit sits outside, so this is bounded (to a login form's size while
no one is signed in). A session that holds no token cannot pass: it is refused before a
byte of the body is read.
"""

from __future__ import annotations

import secrets
from typing import Final

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from village_app.i18n import N_
from village_app.web.errors import FIELD_TOO_LARGE, error_response, is_field_too_large
from village_app.web.rendering.templates import CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY

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
        if token is None and expected:
            body = await request.body()
            try:
                token = await _form_token(scope, body)
            except _FieldTooLarge:
                response = error_response(request, 413, FIELD_TOO_LARGE)
                response.headers["connection"] = "close"
                await response(scope, receive, send)
                return
            receive = _replay(body)
        if not token or not expected or not secrets.compare_digest(str(token), str(expected)):
            # The body may be unread or already consumed: close rather than read what is left.
            message = N_("页面已过期或请求来源不明，请刷新页面后重新提交。")
            response = error_response(request, 403, message)
            response.headers["connection"] = "close"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _FieldTooLarge(Exception):
    pass


async def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = Request(scope).headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    form: FormData
    try:
        form = await Request(scope, _replay(body)).form()
    except HTTPException as exc:
        if is_field_too_large(exc):
            raise _FieldTooLarge from exc
        return None  # a malformed body simply has no token
    except Exception:
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
