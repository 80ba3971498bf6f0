"""Editing a matter (title, summary, category, commendation) and resolving its conflicting versions.

Matters are the editable records: two laptops may change the same one before they sync.
An edit carries the revision it was read at, so a stale one is refused (409) instead of
overwriting; conflicting versions that arrive by replication are all shown, and the
secretary keeps one of them (the others stay in the history).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import DomainError, Matter, NotFound
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.pages.matter import SAVED_MATTER, saved_redirect
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, route


@dataclass(frozen=True)
class MatterEditPage:
    matter: Matter
    form: forms.FormState = field(default_factory=forms.FormState)


@dataclass(frozen=True)
class ConflictsPage:
    matter: Matter
    #: The winning version first, then each conflicting one (document fields).
    versions: tuple[dict[str, Any], ...]


def _values(matter: Matter) -> dict[str, str]:
    values = {
        "title": matter.title,
        "summary": matter.summary,
        "category": matter.category,
        "rev": matter.rev,
    }
    if matter.commendation:
        values["commendation"] = "on"
    return values


async def edit_form(request: Request) -> Response:
    matter = await resolve.matter(request)
    return render(
        request, "matter_edit.html", MatterEditPage(matter, forms.FormState(_values(matter)))
    )


async def edit(request: Request) -> Response:
    async with request.form() as form:
        return await _edit(request, form)


async def _edit(request: Request, form: FormData) -> Response:
    matter = await resolve.matter(request)
    state = forms.FormState.of(form)
    try:
        edited = replace(
            matter,
            title=forms.text(form, "title"),
            summary=forms.text(form, "summary"),
            category=forms.text(form, "category"),
            commendation=forms.flag(form, "commendation"),
            rev=forms.text(form, "rev"),
        )
        await resolve.store(request).update_matter(edited)
    except DomainError as exc:
        page = MatterEditPage(matter, state.fail(exc, request_locale(request)))
        return render(request, "matter_edit.html", page, status_code=exc.status)
    return saved_redirect(request, matter.id, SAVED_MATTER)


async def conflicts(request: Request) -> Response:
    matter = await resolve.matter(request)
    versions = await resolve.store(request).list_conflicts(matter.id)
    return render(request, "conflicts.html", ConflictsPage(matter, tuple(versions)))


async def resolve_conflict(request: Request) -> Response:
    async with request.form() as form:
        return await _resolve_conflict(request, form)


async def _resolve_conflict(request: Request, form: FormData) -> Response:
    matter = await resolve.matter(request)
    store = resolve.store(request)
    chosen_rev = forms.text(form, "rev")
    versions = await store.list_conflicts(matter.id)
    chosen = next((v for v in versions if v.get("_rev") == chosen_rev), None)
    if chosen is None:
        raise NotFound(N_("所选版本已不存在，请刷新后再选"), ids=[matter.id])
    await store.resolve_matter_conflict(matter.id, chosen)
    return RedirectResponse(request.url_for("matter", matter_id=matter.id), status_code=303)


routes = [
    route("/matters/{matter_id}/edit", edit_form, name="matter_edit_form", access=SECRETARY),
    route(
        "/matters/{matter_id}/edit", edit, name="matter_edit", access=SECRETARY, methods=("POST",)
    ),
    route("/matters/{matter_id}/conflicts", conflicts, name="matter_conflicts", access=SECRETARY),
    route(
        "/matters/{matter_id}/conflicts",
        resolve_conflict,
        name="matter_conflict_resolve",
        access=SECRETARY,
        methods=("POST",),
    ),
]
