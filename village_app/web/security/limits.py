"""Request bodies: how large, and how long they may take, enforced while they are read.

The limits depend on who is asking (this middleware sits inside authentication): signed in,
an attachment (10 MB and the form around it) within two minutes; anonymous, a login form
(8 KB) within ten seconds. Before signing in only the login form and the language switch
are posted, and an anonymous body used to be read whole (the CSRF check buffers it to find
its token) before anything knew there was no one signed in: 60 anonymous 10 MB posts at
once took the server from 73 MB to 555 MB.

A declared ``Content-Length`` over the limit is refused before anything is read (413);
otherwise the bytes are counted as they arrive and the request is cut off the moment the
count passes the limit, so a handler never sees (or stores) a partial upload: the form
parser is still running when the error is raised. A body not complete by its deadline
(counted from the first read) is answered 408, so a slow upload cannot hold its connection
and buffers for ever.

A client that goes away while its body is read is logged as one line: Starlette raises
``ClientDisconnect`` from the handler, which left a traceback of 3 KB per aborted upload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from village_app.i18n import N_
from village_app.web.errors import error_response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    #: From the first read of the body to its last byte.
    timeout_seconds: float


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the body passes the limit."""


class BodyTimeout(Exception):
    """Raised from ``receive`` when the body is not complete by its deadline."""


class _Body:
    """``receive`` for the app: counts the body, enforces the limit and the deadline, and
    notes a disconnect. Once the body is complete, messages pass untouched (a streaming
    response listens on ``receive`` for the disconnect as long as it runs)."""

    def __init__(self, receive: Receive, limit: BodyLimit) -> None:
        self._receive = receive
        self.limit = limit
        self.received = 0
        self.complete = False
        self.client_gone = False
        self._deadline: float | None = None

    async def receive(self) -> Message:
        if self.complete:
            return await self._receive()
        if self._deadline is None:
            self._deadline = anyio.current_time() + self.limit.timeout_seconds
        with anyio.CancelScope(deadline=self._deadline) as scope:
            message = await self._receive()
        if scope.cancelled_caught:
            raise BodyTimeout
        if message["type"] == "http.disconnect":
            self.client_gone = True
        elif message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                raise BodyTooLarge
            self.complete = not message.get("more_body", False)
        return message


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, signed_in: BodyLimit, anonymous: BodyLimit) -> None:
        self.app = app
        self.signed_in = signed_in
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        signed_in = "user" in scope and connection.user.is_authenticated
        limit = self.signed_in if signed_in else self.anonymous
        declared = connection.headers.get("content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > limit.max_bytes
        ):
            await self._refuse_too_large(scope, receive, send, signed_in)
            return

        body = _Body(receive, limit)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, body.receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse_too_large(scope, receive, send, signed_in)
        except BodyTimeout:
            if started:
                raise
            message = N_("上传太慢，没有在时限内收完，未保存任何内容。请重试。")
            await self._refuse(scope, receive, send, 408, message)
        except Exception as exc:
            if not (body.client_gone or isinstance(exc, ClientDisconnect)):
                raise
            # Nobody is left to answer; one line, not a traceback per aborted upload.
            log.info(
                "client went away during %s %s after %d bytes of its body (%s)",
                scope["method"],
                scope["path"],
                body.received,
                type(exc).__name__,
            )

    async def _refuse_too_large(
        self, scope: Scope, receive: Receive, send: Send, signed_in: bool
    ) -> None:
        message = None if signed_in else N_("未登录时提交的内容过多，未作处理。请先登录。")
        await self._refuse(scope, receive, send, 413, message)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, message: str | None
    ) -> None:
        # Connection: close, so the client stops sending the rest of the body.
        response = error_response(Request(scope, receive), status, message)
        response.headers["connection"] = "close"
        await response(scope, receive, send)
