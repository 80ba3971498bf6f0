"""Log in and log out."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app import accounts
from village_app.i18n import N_
from village_app.web.county.context import is_staff
from village_app.web.county.signin import CountyUnavailable, couch_sign_in
from village_app.web.rendering.templates import CSRF_SESSION_KEY, current_user, render
from village_app.web.security.permissions import PUBLIC, SIGNED_IN, route
from village_app.web.security.sessions import SESSION_ID_KEY
from village_app.web.state import app_state


@dataclass(frozen=True)
class LoginPage:
    next: str
    username: str = ""
    #: A msgid; ``%(minutes)s`` in it is filled from ``wait_minutes`` (a throttled name's
    #: wait, rounded up).
    error: str | None = None
    wait_minutes: int = 0
    #: False while the data folder has no village yet (run ``village-app demo``).
    village_ready: bool = True


def safe_next(value: object) -> str:
    """Only a path on this site: never ``//host`` or a scheme, so login cannot redirect away."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


async def login_form(request: Request) -> Response:
    if current_user(request):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    page = LoginPage(
        next=safe_next(request.query_params.get("next")),
        village_ready=app_state(request).db is not None or app_state(request).county is not None,
    )
    return render(request, "login.html", page)


async def login(request: Request) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _login(request, form)


async def _login(request: Request, form: FormData) -> Response:
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    next_url = safe_next(form.get("next"))
    state = app_state(request)
    throttle = state.login_throttle
    hashing = state.password_hashing
    db = state.db

    wait = throttle.wait_seconds(username)
    if wait:
        if wait >= 60:
            error = N_("登录失败次数过多，请 %(minutes)s 分钟后再试。")
        else:
            error = N_("登录失败次数过多，请稍等片刻再试。")
        page = LoginPage(
            next=next_url, username=username, error=error, wait_minutes=math.ceil(wait / 60)
        )
        headers = {"Retry-After": str(math.ceil(wait))}
        return render(request, "login.html", page, status_code=429, headers=headers)
    if hashing.busy:  # not counted as a failure: no password was checked
        error = N_("同时登录的人太多，请稍后再试。")
        page = LoginPage(next=next_url, username=username, error=error)
        return render(request, "login.html", page, status_code=503, headers={"Retry-After": "1"})

    with hashing.admitted() as limiter:
        # Counted as a failure before the check and taken back on success: the check awaits the
        # store and the hash, and attempts sent at once must not all pass the wait test before
        # any is counted.
        throttle.failed(username)
        session_user: dict[str, Any] | None = None
        if state.county is not None and username:
            try:
                couch_roles = await couch_sign_in(state.county.base_url, username, password)
            except CountyUnavailable:
                page = LoginPage(
                    next=next_url, username=username, error=N_("县数据库暂时无法连接，请稍后再试。")
                )
                return render(request, "login.html", page, status_code=503)
            if couch_roles is not None and not is_staff(couch_roles):
                throttle.succeeded(username)  # the password was right
                page = LoginPage(
                    next=next_url,
                    username=username,
                    error=N_("此账号不是县、乡镇审核人员的账号。村里的账号请在村里的电脑上使用。"),
                )
                return render(request, "login.html", page, status_code=403)
            if couch_roles is not None:
                session_user = {"name": username, "role": "reviewer", "couch_roles": couch_roles}
        elif db is not None and username:
            user = await accounts.verify_user(db, username, password, limiter=limiter)
            if user is not None:
                session_user = {"name": user.username, "village": user.village, "role": user.role}
    if session_user is None:
        page = LoginPage(
            next=next_url,
            username=username,
            error=N_("用户名或密码不正确。"),
            village_ready=db is not None or state.county is not None,
        )
        return render(request, "login.html", page, status_code=400)

    throttle.succeeded(username)
    # A fresh session (and CSRF token) at login, so a token planted before it is worthless.
    request.session.clear()
    request.session["user"] = session_user
    request.session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    request.session[SESSION_ID_KEY] = secrets.token_urlsafe(16)
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    session_id = request.session.get(SESSION_ID_KEY)
    # Signed out first: whatever happens to the record of it below, this browser is out.
    request.session.clear()
    if isinstance(session_id, str):
        # A copy of the cookie (another tab, or one taken) must not stay signed in. It is
        # refused from now on; if the disk cannot keep that (full, read-only), it is said.
        state = app_state(request)
        await state.session_revocations.end(session_id, state.db)
    return RedirectResponse(request.url_for("login"), status_code=303)


routes = [
    route("/login", login_form, name="login", access=PUBLIC),
    route("/login", login, name="login_submit", access=PUBLIC, methods=("POST",)),
    route("/logout", logout, name="logout", access=SIGNED_IN, methods=("POST",)),
]
