"""The language switch: a form in the page header that sets a cookie."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app import i18n
from village_app.web.pages.auth import safe_next
from village_app.web.rendering.templates import LANG_COOKIE
from village_app.web.security.permissions import PUBLIC, route

_ONE_YEAR = 365 * 24 * 60 * 60


async def set_language(request: Request) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _set_language(request, form)


async def _set_language(request: Request, form: FormData) -> Response:
    locale = i18n.normalize_locale(str(form.get("lang", "")))
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    response.set_cookie(LANG_COOKIE, locale, max_age=_ONE_YEAR, httponly=True, samesite="lax")
    return response


routes = [route("/lang", set_language, name="set_language", access=PUBLIC, methods=("POST",))]
