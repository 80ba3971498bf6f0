"""Rendering: one template per page; an htmx request gets one named block of it.

Every page handler builds a context dataclass and calls :func:`render`. The
response keeps ``.template`` and ``.context`` (also for a block), so tests assert on
the dataclass rather than on HTML.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Template, pass_context
from jinja2.runtime import Context
from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from village_app import i18n
from village_app.domain import (
    BASIS_NAMES,
    BODY_NAMES,
    CEREMONY_KINDS,
    STAGE_NAMES,
    STATUS_NAMES,
    BodyRule,
)
from village_app.domain.organisation import ROLE_NAMES
from village_app.i18n import N_
from village_app.repo.ids import is_form_key, new_form_key
from village_app.web.rendering.template_i18n import CompiledTranslations
from village_app.web.state import app_state

LANG_COOKIE = "lang"
CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment (a boosted link wants the whole page)."""
    return (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    )


def request_locale(request: Request) -> str:
    return i18n.normalize_locale(request.cookies.get(LANG_COOKIE))


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    session = request.scope.get("session")
    if session is None:  # only outside SessionMiddleware (never in the app)
        return ""
    token = session.get(CSRF_SESSION_KEY)
    if not token:
        token = session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return str(token)


def current_user(request: Request) -> dict[str, str] | None:
    session = request.scope.get("session") or {}
    user = session.get("user")
    return user if isinstance(user, dict) else None


def _common_context(request: Request) -> dict[str, Any]:
    locale = request_locale(request)
    translations = i18n.gettext_for(locale)
    return {
        "_": translations.gettext,
        "locale": locale,
        "html_lang": "zh-CN" if locale == "zh_CN" else locale,
        "locales": i18n.LOCALES,
        "csrf_token": csrf_token(request),
        "current_user": current_user(request),
        "read_only": app_state(request).read_only,
        "sync_status": _sync_status(request),
    }


def _sync_status(request: Request) -> Any:
    """The sync state for the header (field mode, signed in), else ``None``."""
    service = app_state(request).sync
    if service is None or current_user(request) is None:
        return None
    return service.header()


class _FragmentResponse(HTMLResponse):
    """A rendered block that, like Starlette's template response, reports its template and
    context to the test client."""

    def __init__(
        self,
        content: bytes,
        template: Template,
        context: dict[str, Any],
        status_code: int,
        headers: Mapping[str, str] | None,
    ) -> None:
        self.template = template
        self.context = context
        super().__init__(content, status_code, headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "http.response.debug" in scope.get("extensions", {}):
            info = {"template": self.template, "context": self.context}
            await send({"type": "http.response.debug", "info": info})
        await super().__call__(scope, receive, send)


def render(
    request: Request,
    name: str,
    page: object,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    force_block: bool = False,
) -> Response:
    """The whole page, or ``block`` of it when htmx asked (or ``force_block``)."""
    # One environment per language: its templates were translated when compiled.
    templates = app_state(request).templates_by_locale[request_locale(request)]
    context: dict[str, Any] = {"page": page}
    if block is not None and (force_block or is_htmx(request)):
        response = templates.TemplateResponse(
            request, name, context, status_code=status_code, headers=headers, block_name=block
        )
        return _FragmentResponse(
            bytes(response.body), templates.get_template(name), context, status_code, headers
        )
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=headers
    )


@pass_context
def _date(ctx: Context, value: Any) -> str:
    return i18n.format_date(value, ctx.get("locale", i18n.DEFAULT_LOCALE))


@pass_context
def _datetime(ctx: Context, value: Any) -> str:
    return i18n.format_datetime(value, ctx.get("locale", i18n.DEFAULT_LOCALE))


@pass_context
def _when(ctx: Context, value: Any) -> str:
    return i18n.format_when(value, ctx.get("locale", i18n.DEFAULT_LOCALE))


def _locale(ctx: Context) -> str:
    return str(ctx.get("locale", i18n.DEFAULT_LOCALE))


def _name_filter(names: Mapping[Any, str]) -> Callable[[Context, str], str]:
    """A filter: a key's name from a name table of msgids, translated; an unknown key as it is."""

    @pass_context
    def name(ctx: Context, key: str) -> str:
        msgid = names.get(key)
        return i18n.gettext_for(_locale(ctx)).gettext(msgid) if msgid else key

    return name


#: What each document type is called on the 无法读取的记录 page (msgids, translated by the catalog).
DOC_TYPE_NAMES: dict[str, str] = {
    "village": N_("村庄信息"),
    "body": N_("组织章程"),
    "member": N_("成员"),
    "village_rule": N_("村规民约"),
    "matter": N_("事项"),
    "stage_record": N_("阶段记录"),
    "supervision": N_("监督记录"),
    "ceremony": N_("红白事登记"),
}


@pass_context
def _gettext(ctx: Context, msgid: str) -> str:
    """A msgid chosen at run time, translated (``_`` in a filter's shape, for ``map``)."""
    return i18n.gettext_for(_locale(ctx)).gettext(msgid)


@pass_context
def _translate(ctx: Context, message: i18n.Param) -> str:
    """A message from the domain (a msgid with its parameters), through the catalog."""
    return i18n.translate(message, _locale(ctx))


#: Between the clauses of a rule in words.
_CLAUSE_SEPARATOR = N_("；")


@pass_context
def _rule_text(ctx: Context, rule: BodyRule | None) -> str:
    """A body's quorum and majority in words, for each way attendance may be counted."""
    if rule is None:
        return ""
    locale = _locale(ctx)
    separator = i18n.gettext_for(locale).gettext(_CLAUSE_SEPARATOR)
    return separator.join(i18n.translate(clause, locale) for clause in rule.describe())


@pass_context
def _url_for(ctx: Context, name: str, /, **params: Any) -> str:
    """The path of a named route, like Starlette's ``url_for`` but looked up in a dict: a page
    with fifty rows builds hundreds of links, and scanning every route for each one showed up
    as the largest cost of the matters list. Paths, not absolute URLs, so the app also works
    behind a proxy that rewrites the host."""
    request: Request = ctx["request"]
    route = app_state(request).routes_by_name.get(name)
    if route is None:
        return str(request.url_for(name, **params))
    return str(route.url_path_for(name, **params))


def _filesize(size: int) -> str:
    """A file's size as people read it: whole KB (at least 1) below a megabyte, else MB."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, -(-size // 1024))} KB"


def form_key_for(sent: str) -> str:
    """The idempotency key a form is rendered with: the one it was sent with, when it comes
    back with errors (nothing was saved under it), else a new one."""
    return sent if is_form_key(sent) else new_form_key()


def build_templates(directory: Path, locale: str = i18n.DEFAULT_LOCALE) -> Jinja2Blocks:
    """The templates for one language (``_("literal")`` is translated at compile time)."""
    templates = Jinja2Blocks(directory=directory, context_processors=[_common_context])
    templates.env.add_extension(CompiledTranslations)
    templates.env.compile_locale = locale  # type: ignore[attr-defined]
    templates.env.filters.update(
        date=_date,
        datetime=_datetime,
        when=_when,
        body_name=_name_filter(BODY_NAMES),
        stage_name=_name_filter(STAGE_NAMES),
        status_name=_name_filter(STATUS_NAMES),
        ceremony_kind=_name_filter(CEREMONY_KINDS),
        basis_name=_name_filter(BASIS_NAMES),
        role_name=_name_filter(ROLE_NAMES),
        gettext=_gettext,
        translate=_translate,
        doc_type_name=_name_filter(DOC_TYPE_NAMES),
        rule_text=_rule_text,
        filesize=_filesize,
        # labels|zip_with(values) -> [(value, label)], for <select> options
        zip_with=lambda labels, values: list(zip(values, labels, strict=True)),
    )
    templates.env.globals["url_for"] = _url_for
    templates.env.globals["new_form_key"] = new_form_key
    templates.env.globals["form_key_for"] = form_key_for
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    # Templates ship with the app and never change while it runs: without this, every
    # render stats each template it extends, imports or includes (eight for the matter page).
    templates.env.auto_reload = False
    return templates
