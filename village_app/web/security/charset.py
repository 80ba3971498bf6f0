"""Form bodies in UTF-8 only.

Browsers send forms in the page's encoding (UTF-8) and name no charset. A body that declares
another one (``multipart/form-data; charset=unicode_escape``) is decoded with it by the form
parser, which can turn the text ``\\ud800`` into a lone surrogate: a string no page can be
written out with (UTF-8 refuses it), so every page that showed the value back was a 500.
Such a body is refused before anything reads it.
"""

from __future__ import annotations

import codecs
from typing import Final

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from village_app.i18n import N_
from village_app.web.errors import error_response

_FORMS: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


def _declared_charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"')
    return None


def _is_utf8(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


class FormCharsetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            content_type = Headers(scope=scope).get("content-type", "")
            charset = _declared_charset(content_type)
            if (
                content_type.lower().startswith(_FORMS)
                and charset is not None
                and not _is_utf8(charset)
            ):
                message = N_("表单的字符编码不受支持，请用浏览器重新提交。")
                await error_response(Request(scope, receive), 400, message)(scope, receive, send)
                return
        await self.app(scope, receive, send)
