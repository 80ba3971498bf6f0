"""Editing an entry of an organisation's resource list, in county mode (issue 13). Only
county-wide staff keep the list (it goes to every village it covers). An edit is appended
to the entry's history, as a roster's seat keeps its edits, and carries the revision read,
so an edit made meanwhile is refused rather than overwritten; the villages' copies follow."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sync.errors import CouchError
from village_app import repo
from village_app.county.registry import Township
from village_app.domain import DomainError, Problems
from village_app.domain.services import RESOURCE_FIELDS, OrgRef, Resource
from village_app.i18n import N_
from village_app.web.county.context import CountyContext
from village_app.web.county.pages import county, staff
from village_app.web.county.service_matching import services_db, unreachable
from village_app.web.errors import PageNotFound
from village_app.web.pages.services import WORDS, Words
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SIGNED_IN, route


def county_wide(request: Request) -> None:
    if not staff(request).county_wide:
        raise HTTPException(403, N_("只有县里的工作人员可以维护社会组织和服务资源清单。"))


def read_resource(form: FormData, org: OrgRef, problems: Problems) -> Resource:
    """An entry of the resource list as typed (of ``org``)."""
    read = forms.Reader(form, problems)

    def keys(name: str) -> tuple[str, ...]:
        return tuple(v for v in form.getlist(name) if isinstance(v, str))

    capacity = problems.value(lambda: forms.integer(form, "capacity", N_("每次服务人数")), None)
    return Resource(
        organisation=org,
        title=read.text("title"),
        kind=read.text("kind"),
        categories=keys("categories"),
        groups=keys("groups"),
        place=read.text("place"),
        frequency=read.text("frequency"),
        capacity=capacity or 0,
        townships=keys("townships"),
        description=read.text("description"),
    )


@dataclass(frozen=True)
class ResourcePage:
    resource: Resource
    townships: tuple[Township, ...]
    form: forms.FormState = field(default_factory=forms.FormState)
    fields: dict[str, str] = field(default_factory=lambda: dict(RESOURCE_FIELDS))
    words: Words = WORDS

    def shown(self, name: str, stored: str) -> tuple[str, ...]:
        """A value of the history as stored, as msgids or names to show (several for a
        list; ``()`` for none)."""
        parts = tuple(p for p in stored.split(",") if p) if stored else ()
        tables = {
            "kind": self.words.kinds,
            "categories": self.words.categories,
            "groups": self.words.groups,
        }
        if name in tables:
            return tuple(tables[name].get(p, p) for p in parts)
        if name == "townships":
            names = {t.code: t.name for t in self.townships}
            return tuple(names.get(p, p) for p in parts)
        return (stored,) if stored else ()


def _state(resource: Resource) -> forms.FormState:
    return forms.FormState(
        {
            "title": resource.title,
            "kind": resource.kind,
            "place": resource.place,
            "frequency": resource.frequency,
            "capacity": str(resource.capacity),
            "description": resource.description,
            "rev": resource.rev or "",
        },
        lists={
            "categories": list(resource.categories),
            "groups": list(resource.groups),
            "townships": list(resource.townships),
        },
    )


async def _found(request: Request) -> Resource:
    resource_id = request.path_params["resource_id"]
    try:
        found = await services_db(request).resource(resource_id)
    except CouchError as exc:
        raise unreachable(exc) from exc
    if found is None:
        raise PageNotFound("服务资源", resource_id)
    return found


def _townships(ctx: CountyContext) -> tuple[Township, ...]:
    return tuple(ctx.registry.townships)


async def edit_form(request: Request) -> Response:
    county_wide(request)
    found = await _found(request)
    page = ResourcePage(found, _townships(county(request)), _state(found))
    return render(request, "county/service_resource.html", page)


async def edit(request: Request) -> Response:
    county_wide(request)
    found = await _found(request)
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        try:
            typed = read_resource(form, found.organisation, problems)
            problems.raise_any()
            edited = replace(
                typed,
                id=found.id,
                rev=forms.text(form, "rev"),
                active=found.active,
                created_at=found.created_at,
                created_by=found.created_by,
            )
            _, sent = await services_db(request).update_resource(
                edited, repo.Actor(staff(request).name)
            )
        except DomainError as exc:
            failed = state.fail(exc, request_locale(request))
            page = ResourcePage(found, _townships(county(request)), failed)
            return render(request, "county/service_resource.html", page, status_code=exc.status)
        except CouchError as exc:
            raise unreachable(exc) from exc
    url = request.url_for("county_organisation", org_id=found.organisation.id).include_query_params(
        sent=len(sent.written) + len(sent.withdrawn), failed=len(sent.failed)
    )
    return RedirectResponse(f"{url}#resource-{found.id}", status_code=303)


routes = [
    route(
        "/services/resources/{resource_id}/edit",
        edit_form,
        name="county_resource_edit_form",
        access=SIGNED_IN,
    ),
    route(
        "/services/resources/{resource_id}/edit",
        edit,
        name="county_resource_edit",
        access=SIGNED_IN,
        methods=("POST",),
    ),
]
