"""Request body size limit, enforced while the body is read.

A declared ``Content-Length`` over the limit is refused before anything is read;
otherwise the bytes are counted as they arrive and the request is cut off the
moment the count passes the limit, so a handler never sees (or stores) a partial
upload: the form parser is still running when the error is raised.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from village_app.web.errors import error_response


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the body passes the limit."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Request(scope).headers.get("content-length")
        if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Connection: close, so the client stops sending the rest of the body.
        response = error_response(Request(scope, receive), 413)
        response.headers["connection"] = "close"
        await response(scope, receive, send)
