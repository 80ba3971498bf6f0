"""The 同步 page: the county's address and the village's account (entered once), 立即同步 with
its live progress (htmx polls the run's block while it goes), cancel, automatic sync, and
the sync log. The work itself runs in :class:`~village_app.syncing.service.SyncService`, in
the server's background, so it goes on whatever page the secretary opens meanwhile."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.bundle.keys import BadKey, PublicKey
from village_app.bundle.laptop import ReplyImported
from village_app.domain import DomainError
from village_app.i18n import N_
from village_app.syncing.config import SyncConfig
from village_app.syncing.problems import PROBLEMS, RefusedRecord
from village_app.syncing.runlog import RunRecord
from village_app.syncing.runs import STEP_NAMES, Progress
from village_app.syncing.service import AutoStatus, HeaderStatus, SyncService
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, route
from village_app.web.state import app_state

log = logging.getLogger(__name__)

#: Runs listed on the 同步 page itself (the log page lists them all).
RECENT_RUNS = 5


@dataclass(frozen=True)
class SettingsForm:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncPage:
    config: SyncConfig | None
    progress: Progress | None
    running: bool
    auto: AutoStatus
    status: HeaderStatus
    pending: int
    recent: tuple[RunRecord, ...]
    form: SettingsForm
    #: What was just done (``settings``, ``auto_on``, ``auto_off``), for a line saying so.
    done: str = ""
    #: Rendered as the polled block alone (it then carries the header's state too).
    fragment: bool = False
    #: USB bundles: the laptop's public key, the county's (``None`` until given), the last
    #: reply imported, and why a bundle or key was just refused (a msgid).
    laptop_key: PublicKey | None = None
    county_key: PublicKey | None = None
    last_reply: ReplyImported | None = None
    bundle_error: str = ""
    #: Records the county refused that are not yet changed or corrected.
    refused: tuple[RefusedRecord, ...] = ()
    step_names: dict[str, str] = field(default_factory=lambda: dict(STEP_NAMES))
    problem_titles: dict[str, str] = field(default_factory=lambda: _problem_titles())


@dataclass(frozen=True)
class SyncLogPage:
    records: tuple[RunRecord, ...]
    problem_titles: dict[str, str] = field(default_factory=lambda: _problem_titles())


def _problem_titles() -> dict[str, str]:
    return {code: title for code, (title, _advice) in PROBLEMS.items()}


def _service(request: Request) -> SyncService:
    service = app_state(request).sync
    if service is None:
        raise HTTPException(
            404, N_("数据目录中还没有村庄。请先运行 village-app demo 载入示例村，或创建村庄数据。")
        )
    return service


def _page(request: Request, form: SettingsForm | None = None, done: str = "") -> SyncPage:
    service = _service(request)
    config = service.config
    if form is None:
        values = {"address": config.address, "account": config.account} if config else {}
        form = SettingsForm(values)
    try:
        laptop_key, county_key = service.bundle_keys()
    except (OSError, BadKey) as exc:  # a read-only folder cannot keep a new key
        log.warning("no bundle keys: %s", exc)
        laptop_key, county_key = None, None
    return SyncPage(
        config=config,
        progress=service.progress,
        running=service.running,
        auto=service.auto,
        status=service.header(),
        pending=service.pending,
        recent=tuple(service.log.records()[:RECENT_RUNS]),
        form=form,
        done=done,
        laptop_key=laptop_key,
        county_key=county_key,
        last_reply=service.last_reply,
        refused=tuple(service.refused),
    )


async def sync_page(request: Request) -> Response:
    done = request.query_params.get("done", "")
    return render(request, "sync.html", _page(request, done=done if done.isidentifier() else ""))


async def sync_progress(request: Request) -> Response:
    """The run's block, polled by htmx while the run goes (it stops asking once it ended)."""
    page = replace(_page(request), fragment=True)
    headers = {}
    if request.query_params.get("running") and not page.running:
        # It just ended: the whole page again (the log, the pending count, the forms).
        headers["HX-Refresh"] = "true"
    return render(request, "sync.html", page, block="run", force_block=True, headers=headers)


async def sync_settings(request: Request) -> Response:
    async with request.form() as form:
        return await _save_settings(request, form)


async def _save_settings(request: Request, form: FormData) -> Response:
    service = _service(request)
    values = {k: str(form.get(k) or "")[:500] for k in ("address", "account")}
    try:
        values = {k: forms.text(form, k) for k in values}
        await service.save_settings(values["address"], values["account"], _password(form))
    except DomainError as exc:
        errors = {exc.field or "": exc.message(request_locale(request))}
        page = _page(request, SettingsForm(values, errors))
        return render(request, "sync.html", page, status_code=422)
    return RedirectResponse(str(request.url_for("sync")) + "?done=settings", status_code=303)


def _password(form: FormData) -> str:
    value = form.get("password")
    return value if isinstance(value, str) else ""


async def sync_start(request: Request) -> Response:
    await _service(request).start_run()
    return RedirectResponse(request.url_for("sync"), status_code=303)


async def sync_cancel(request: Request) -> Response:
    _service(request).cancel()
    return RedirectResponse(request.url_for("sync"), status_code=303)


async def sync_auto(request: Request) -> Response:
    async with request.form() as form:
        on = forms.text(form, "auto") == "on"
    await _service(request).set_auto(on)
    done = "auto_on" if on else "auto_off"
    return RedirectResponse(str(request.url_for("sync")) + f"?done={done}", status_code=303)


async def sync_log(request: Request) -> Response:
    return render(request, "sync_log.html", SyncLogPage(tuple(_service(request).log.records())))


routes = [
    route("/sync", sync_page, name="sync", access=SIGNED_IN),
    route("/sync/progress", sync_progress, name="sync_progress", access=SIGNED_IN),
    route("/sync/log", sync_log, name="sync_log", access=SIGNED_IN),
    route(
        "/sync/settings", sync_settings, name="sync_settings", access=SECRETARY, methods=("POST",)
    ),
    route("/sync/start", sync_start, name="sync_start", access=SECRETARY, methods=("POST",)),
    route("/sync/cancel", sync_cancel, name="sync_cancel", access=SECRETARY, methods=("POST",)),
    route("/sync/auto", sync_auto, name="sync_auto", access=SECRETARY, methods=("POST",)),
]
