"""服务需求清单: the needs the village party organisation found on its home visits to key
groups. They name vulnerable people: the secretary's pages only, never a notice, never the
kiosk. The person (name, address, phone, circumstances) is sealed before it is stored and
shown only here; what is needed, for how many, of which group and category goes to the
county, which matches it to a resource."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import DomainError, Problems, ValidationError
from village_app.domain.services import (
    Need,
    NeedPerson,
    Project,
    Resource,
    Suggestion,
    matched_need_ids,
    suggest,
)
from village_app.i18n import N_, now_local
from village_app.web import resolve
from village_app.web.pages.services import WORDS, Words
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, back_to, route


@dataclass(frozen=True)
class NeedLine:
    need: Need
    projects: tuple[Project, ...]  # serving it
    proposed: Resource | None
    suggestions: tuple[Suggestion, ...]  # resources that could serve it, best first

    @property
    def status(self) -> str:
        """closed | matched | proposed | waiting"""
        if self.need.closed:
            return "closed"
        if self.projects:
            return "matched"
        return "proposed" if self.need.proposed_resource else "waiting"


@dataclass(frozen=True)
class NeedsPage:
    lines: tuple[NeedLine, ...]
    show: str  # open | all
    waiting: int
    form: forms.FormState = field(default_factory=forms.FormState)
    saved: str = ""
    #: A need whose proposal or closing was refused, and why.
    line_error: tuple[str, str] = ("", "")
    words: Words = WORDS


#: Suggestions offered beside a need.
SUGGESTIONS = 5


async def _page(
    request: Request, state: forms.FormState | None = None, line_error: tuple[str, str] = ("", "")
) -> NeedsPage:
    store = resolve.store(request)
    show = "all" if request.query_params.get("show") == "all" else "open"
    needs = await store.list_needs()
    projects = await store.list_projects()
    resources = await store.list_resources()
    by_id = {r.id: r for r in resources}
    township = store.village[6:9]
    lines = []
    for need in needs:
        if show == "open" and need.closed:
            continue
        serving = tuple(p for p in projects if need.id in p.need_ids)
        lines.append(
            NeedLine(
                need,
                serving,
                by_id.get(need.proposed_resource or ""),
                tuple(suggest(need, resources, township)[:SUGGESTIONS]) if not serving else (),
            )
        )
    matched = matched_need_ids(projects)
    return NeedsPage(
        lines=tuple(lines),
        show=show,
        waiting=sum(1 for n in needs if not n.closed and n.id not in matched),
        form=state
        or forms.FormState({"visited_on": now_local().date().isoformat(), "people": "1"}),
        line_error=line_error,
    )


async def needs(request: Request) -> Response:
    page = await _page(request)
    return render(request, "service_needs.html", replace(page, saved=take_saved(request, "needs")))


def _read_need(form: FormData, problems: Problems) -> Need:
    read = forms.Reader(form, problems)
    visited_on = problems.value(partial(forms.day, form, "visited_on"), None)
    if visited_on is None and not problems.about("visited_on"):
        problems.add(ValidationError(N_("请填写走访日期"), field="visited_on"))
    people = problems.value(partial(forms.integer, form, "people", N_("涉及人数")), None)
    return Need(
        group=read.text("group"),
        summary=read.text("summary"),
        visited_on=visited_on or now_local().date(),
        categories=tuple(v for v in form.getlist("categories") if isinstance(v, str)),
        kind=read.text("kind"),
        people=1 if people is None else people,
        visited_by=read.text("visited_by"),
        person=NeedPerson(
            name=read.text("person_name"),
            address=read.text("address"),
            phone=read.text("phone"),
            notes=read.text("notes"),
        ),
    )


async def add_need(request: Request) -> Response:
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        try:
            need = _read_need(form, problems)
            saved = await resolve.store(request).add_need(
                need, key=forms.form_key(form), problems=problems
            )
        except DomainError as exc:
            page = await _page(request, state.fail(exc, request_locale(request)))
            return render(request, "service_needs.html", page, status_code=exc.status)
    note_saved(request, "needs", saved.id)
    return RedirectResponse(f"{request.url_for('service_needs')}#need-{saved.id}", status_code=303)


async def propose(request: Request) -> Response:
    need_id = request.path_params["need_id"]
    async with request.form() as form:
        resource_id = forms.text(form, "resource_id") or None
        rev = forms.text(form, "rev")
    try:
        await resolve.store(request).propose_resource(need_id, resource_id, rev)
    except DomainError as exc:
        page = await _page(request, line_error=(need_id, exc.message(request_locale(request))))
        return render(request, "service_needs.html", page, status_code=exc.status)
    note_saved(request, "needs", need_id)
    return RedirectResponse(f"{request.url_for('service_needs')}#need-{need_id}", status_code=303)


async def close(request: Request) -> Response:
    need_id = request.path_params["need_id"]
    async with request.form() as form:
        reason = forms.text(form, "closed_reason")
        rev = forms.text(form, "rev")
    try:
        await resolve.store(request).close_need(need_id, reason, rev)
    except DomainError as exc:
        page = await _page(request, line_error=(need_id, exc.message(request_locale(request))))
        return render(request, "service_needs.html", page, status_code=exc.status)
    note_saved(request, "needs", need_id)
    url = request.url_for("service_needs").include_query_params(show="all")
    return RedirectResponse(f"{url}#need-{need_id}", status_code=303)


routes = [
    route("/services/needs", needs, name="service_needs", access=SECRETARY),
    route(
        "/services/needs", add_need, name="service_need_add", access=SECRETARY, methods=("POST",)
    ),
    route(
        "/services/needs/{need_id}/propose",
        propose,
        name="service_need_propose",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/services/needs/{need_id}/propose", "service_needs", name="service_need_propose_back"),
    route(
        "/services/needs/{need_id}/close",
        close,
        name="service_need_close",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/services/needs/{need_id}/close", "service_needs", name="service_need_close_back"),
]
