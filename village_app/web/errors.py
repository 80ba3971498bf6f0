"""The one place where exceptions become HTTP statuses and friendly Chinese error pages.

Handlers raise; they never build error responses themselves. Middleware that
refuses a request before routing (CSRF, body size) calls :func:`error_response`
so its pages look the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sync.errors import CouchError, ReadOnlyStorageError, StorageFullError
from village_app.domain import DomainError
from village_app.i18n import N_
from village_app.web.rendering.templates import is_htmx, render, request_locale
from village_app.web.security.headers import add_security_headers
from village_app.web.state import app_state

log = logging.getLogger(__name__)

#: Status -> (title, default explanation). Chinese is the msgid; English comes from the catalog.
_MESSAGES: Final[dict[int, tuple[str, str]]] = {
    400: (N_("请求有误"), N_("提交的内容无法识别，请返回上一页检查后重试。")),
    401: (N_("请先登录"), N_("请先登录后再访问此页面。")),
    403: (N_("请求被拒绝"), N_("页面已过期或没有权限。请刷新页面后重试。")),
    404: (N_("找不到页面"), N_("您要找的页面或记录不存在。")),
    405: (N_("请求有误"), N_("此页面不支持这种操作。")),
    409: (N_("记录冲突"), N_("这条记录已被修改或已存在，请刷新页面后查看最新内容。")),
    413: (N_("文件太大"), N_("上传的内容超过了 10 MB 的上限，未保存任何内容。")),
    422: (N_("填写有误"), N_("提交的内容不符合要求，请检查后重试。")),
    408: (N_("上传超时"), N_("上传太慢，没有在时限内收完，未保存任何内容。请重试。")),
    429: (N_("尝试次数过多"), N_("请稍后再试。")),
    500: (N_("系统出错"), N_("系统出现了意外错误，请稍后重试。记录未被修改。")),
    503: (N_("无法保存"), N_("数据文件夹是只读的，无法保存。请检查数据文件夹的位置和权限。")),
    507: (N_("磁盘已满"), N_("磁盘已满，这次的内容没有保存。请清理电脑的磁盘空间后再试。")),
}


#: The form parser's limit on one field (python-multipart's part size, 1 MB by default).
FIELD_TOO_LARGE: Final = N_("内容过长：每一项填写的内容不能超过 1 MB。")


def is_field_too_large(exc: HTTPException) -> bool:
    """The form parser refused a field over its size limit (it says so only in its message)."""
    return exc.status_code == 400 and "maximum size" in str(exc.detail)


class PageNotFound(HTTPException):
    """A URL part that names nothing (the resolve layer raises it with the id)."""

    def __init__(self, what: str, ident: str) -> None:
        self.ident = ident
        super().__init__(404, N_("找不到这条记录。"))
        self.what = what


class PayloadTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413)


@dataclass(frozen=True)
class ErrorPage:
    status: int
    title: str
    message: str
    #: The field a validation error is about, when there is one.
    field: str | None = None


def error_response(
    request: Request, status: int, message: str | None = None, field: str | None = None
) -> Response:
    title, default = _MESSAGES.get(status, _MESSAGES[500] if status >= 500 else _MESSAGES[400])
    page = ErrorPage(status=status, title=title, message=message or default, field=field)
    # htmx swaps 4xx answers; an error that is not a form's goes to the flash bar instead
    # of replacing whatever the request targeted.
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if is_htmx(request) else None
    # The kiosk has pages of its own (no menu, no login); its errors look like them.
    kiosk = app_state(request).settings.mode == "kiosk"
    template = "kiosk/error.html" if kiosk else "error.html"
    return render(request, template, page, block="message", status_code=status, headers=headers)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if is_field_too_large(exc):  # the form parser's words are English and say 400
        return error_response(request, 413, FIELD_TOO_LARGE)
    detail = exc.detail if exc.detail and exc.detail != _default_phrase(exc.status_code) else None
    response = error_response(request, exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _default_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def _store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CouchError)
    if isinstance(exc, StorageFullError):
        log.error("disk full on %s: %s", request.url.path, exc)
        return error_response(
            request, 507, N_("磁盘已满，这次的内容没有保存。请清理电脑的磁盘空间后再试。")
        )
    if isinstance(exc, ReadOnlyStorageError):
        log.error("read-only data on %s: %s", request.url.path, exc)
        return error_response(
            request, 503, N_("数据文件夹是只读的，无法保存。请检查数据文件夹的位置和权限。")
        )
    if exc.status >= 500:
        log.error("store error on %s: %s", request.url.path, exc)
        return error_response(request, 500)
    return error_response(request, exc.status)


async def _domain_error(request: Request, exc: Exception) -> Response:
    """A rule the user broke: its message in the request's language, the status it names
    (422 by default)."""
    assert isinstance(exc, DomainError)
    return error_response(request, exc.status, exc.message(request_locale(request)), exc.field)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    response = error_response(request, 500)
    add_security_headers(response.headers)
    return response


def exception_handlers(
    domain_errors: tuple[type[Exception], ...] = (),
) -> dict[type[Exception] | int, object]:
    handlers: dict[type[Exception] | int, object] = {
        HTTPException: _http_exception,
        CouchError: _store_error,
        Exception: _unexpected,
    }
    for cls in domain_errors:
        handlers[cls] = _domain_error
    return handlers
