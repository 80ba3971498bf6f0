"""Headers on every answer: what the browser may load and frame, and no caching of pages."""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Everything the pages need comes from this server: no inline script, no third party, no framing.
_SECURITY_HEADERS: Final = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def add_security_headers(headers: MutableHeaders) -> None:
    """The same headers on an answer made outside this middleware (Starlette's last-resort 500
    handler runs outside every middleware)."""
    for name, value in [*_SECURITY_HEADERS, (b"cache-control", b"no-store")]:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))


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
