"""Correcting a service delivered or a post holder's duty (issue 13). Both are evidence, as a
stage record is: the entry stays as it was, and the correction is a new entry that names it
(``corrects``) and says why (``reason``); the figures count the standing one
(:mod:`village_app.domain.corrections`). The form comes filled with the entry's values, as
a stage record's correction form does."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import CorrectionInvalid, DomainError, Problems
from village_app.domain.services import DutyLog, ServiceLog
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.pages.services import (
    WORDS,
    Words,
    hours_field,
    read_service_log,
    required_day,
)
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, route

SUPERSEDED = N_("这条记录已被更正，请在最新的一条上更正")


@dataclass(frozen=True)
class CorrectionPage:
    """The entry being corrected, what it belongs to, and the form."""

    entry: ServiceLog | DutyLog
    about: str  # the project's title or pairing's organisation, or the post's name
    back: str  # where the entry is shown
    action: str
    state: forms.FormState = field(default_factory=forms.FormState)
    #: Who held the post at some time (a duty's holder is chosen among them).
    holders: tuple[str, ...] = ()
    #: ``about`` is a named post's name (a msgid, shown in the page's language).
    about_named: bool = False
    words: Words = WORDS

    @property
    def is_service(self) -> bool:
        return isinstance(self.entry, ServiceLog)


def _hours(value: float) -> str:
    return f"{value:g}" if value else ""


def _service_state(log: ServiceLog) -> forms.FormState:
    return forms.FormState(
        {
            "served_on": log.served_on.isoformat(),
            "what": log.what,
            "place": log.place,
            "people_served": str(log.people_served),
            "volunteers": str(log.volunteers),
            "volunteer_hours": _hours(log.volunteer_hours),
        }
    )


def _duty_state(log: DutyLog) -> forms.FormState:
    return forms.FormState(
        {
            "holder": log.holder,
            "done_on": log.done_on.isoformat(),
            "what": log.what,
            "hours": _hours(log.hours),
        }
    )


async def _superseded(request: Request, entry: ServiceLog | DutyLog) -> bool:
    store = resolve.store(request)
    found: list[ServiceLog] | list[DutyLog]
    if isinstance(entry, ServiceLog):
        found = await store.list_service_logs()
    else:
        found = await store.list_duty_logs()
    return any(e.corrects == entry.id for e in found)


async def _service_page(
    request: Request, log: ServiceLog, state: forms.FormState | None = None
) -> CorrectionPage:
    store = resolve.store(request)
    if log.project_id:
        about = (await store.get_project(log.project_id)).title
        url = request.url_for("service_project", project_id=log.project_id)
        back = f"{url}#log-{log.id}"
    else:
        pairing = next((p for p in await store.list_pairings() if p.id == log.pairing_id), None)
        about = pairing.organisation.name if pairing else ""
        back = f"{request.url_for('services')}#pairing-{log.pairing_id}"
    action = str(request.url_for("service_log_correct", log_id=log.id))
    return CorrectionPage(log, about, back, action, state or _service_state(log))


async def _duty_page(
    request: Request, log: DutyLog, state: forms.FormState | None = None
) -> CorrectionPage:
    store = resolve.store(request)
    post = next((p for p in await store.list_posts() if p.id == log.post_id), None)
    about = post.name if post is not None else ""
    held = sorted({c.holder for c in await store.list_claims() if c.post_id == log.post_id})
    back = f"{request.url_for('service_posts')}#duty-{log.id}"
    action = str(request.url_for("duty_log_correct", duty_id=log.id))
    return CorrectionPage(
        log,
        about,
        back,
        action,
        state or _duty_state(log),
        tuple(held),
        about_named=post is not None and post.builtin,
    )


async def _show(request: Request, page: CorrectionPage) -> Response:
    if await _superseded(request, page.entry):
        stale = CorrectionInvalid(SUPERSEDED, field="corrects", ids=[page.entry.id])
        page.state.fail(stale, request_locale(request))
    return render(request, "service_correct.html", page)


async def service_log_form(request: Request) -> Response:
    log = await resolve.store(request).get_service_log(request.path_params["log_id"])
    return await _show(request, await _service_page(request, log))


async def duty_log_form(request: Request) -> Response:
    log = await resolve.store(request).get_duty_log(request.path_params["duty_id"])
    return await _show(request, await _duty_page(request, log))


async def correct_service_log(request: Request) -> Response:
    store = resolve.store(request)
    target = await store.get_service_log(request.path_params["log_id"])
    of = {"project_id": target.project_id} if target.project_id else {}
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        try:
            typed = read_service_log(form, problems, pairing_id=target.pairing_id or "", **of)
            saved = await store.add_service_log(
                replace(typed, corrects=target.id), key=forms.form_key(form), problems=problems
            )
        except DomainError as exc:
            failed = state.fail(exc, request_locale(request))
            page = await _service_page(request, target, failed)
            return render(request, "service_correct.html", page, status_code=exc.status)
    if saved.project_id:
        note_saved(request, saved.project_id, saved.id)
        url = request.url_for("service_project", project_id=saved.project_id)
        return RedirectResponse(f"{url}#log-{saved.id}", status_code=303)
    note_saved(request, "services", saved.pairing_id or "")
    url = request.url_for("services")
    return RedirectResponse(f"{url}#pairing-{saved.pairing_id}", status_code=303)


async def correct_duty_log(request: Request) -> Response:
    store = resolve.store(request)
    target = await store.get_duty_log(request.path_params["duty_id"])
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        read = forms.Reader(form, problems)
        try:
            log = DutyLog(
                post_id=target.post_id,
                holder=read.text("holder"),
                done_on=required_day(problems, form, "done_on", N_("请填写履职日期")),
                what=read.text("what"),
                hours=problems.value(partial(hours_field, form, "hours"), 0.0),
                corrects=target.id,
                reason=read.text("reason"),
            )
            saved = await store.add_duty_log(log, key=forms.form_key(form), problems=problems)
        except DomainError as exc:
            failed = state.fail(exc, request_locale(request))
            page = await _duty_page(request, target, failed)
            return render(request, "service_correct.html", page, status_code=exc.status)
    note_saved(request, "posts", saved.id)
    return RedirectResponse(f"{request.url_for('service_posts')}#duty-{saved.id}", status_code=303)


routes = [
    route(
        "/services/logs/{log_id}/correct",
        service_log_form,
        name="service_log_correct_form",
        access=SECRETARY,
    ),
    route(
        "/services/logs/{log_id}/correct",
        correct_service_log,
        name="service_log_correct",
        access=SECRETARY,
        methods=("POST",),
    ),
    route(
        "/services/duties/{duty_id}/correct",
        duty_log_form,
        name="duty_log_correct_form",
        access=SECRETARY,
    ),
    route(
        "/services/duties/{duty_id}/correct",
        correct_duty_log,
        name="duty_log_correct",
        access=SECRETARY,
        methods=("POST",),
    ),
]
