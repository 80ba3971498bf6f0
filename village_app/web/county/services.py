"""社会服务 in county mode (issue 13): the figures across the county, the social
organisations and their resource lists. Matching needs into projects and pairing
organisations with villages are in :mod:`.service_matching` (their routes are listed here).

Who may do what: every county or township reviewer sees the figures of their villages and
the lists; only county-wide staff keep the organisations and the resource list (it is sent
to every village it covers); matching and pairing are for the staff who review the village.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sync.errors import CouchError
from village_app import repo
from village_app.county import services_index
from village_app.county.registry import Township
from village_app.county.services_summary import KioskDay, PairingRow
from village_app.domain import DomainError, Problems
from village_app.domain.services import (
    Organisation,
    Resource,
    Satisfaction,
    by_sector,
    vocab,
)
from village_app.i18n import N_, Message, now_local, translate
from village_app.web.county import service_endings, service_matching, service_resources
from village_app.web.county.charts import Chart
from village_app.web.county.context import codes
from village_app.web.county.pages import county, staff
from village_app.web.county.service_charts import satisfaction_chart, township_charts
from village_app.web.county.service_matching import services_db, unreachable
from village_app.web.county.service_resources import county_wide, read_resource
from village_app.web.errors import PageNotFound
from village_app.web.pages.services import WORDS, Words
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SIGNED_IN, back_to, route

log = logging.getLogger(__name__)


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    ok = raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100
    return int(raw) if ok else now_local().year


# -- the figures -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SatisfactionLine:
    name: str
    satisfaction: Satisfaction


@dataclass(frozen=True)
class DashboardPage:
    county_name: str
    year: int
    years: tuple[int, ...]
    villages: int
    charts: list[Chart]
    by_organisation: tuple[SatisfactionLine, ...]
    by_kind: tuple[SatisfactionLine, ...]
    overall: Satisfaction
    needs_waiting: int
    bursts: tuple[tuple[str, KioskDay], ...]  # (village name, day)
    words: Words = WORDS


async def dashboard(request: Request) -> Response:
    ctx, who = county(request), staff(request)
    year = _year(request)
    visible = who.villages(ctx.registry)
    found = await services_index.figures(ctx.index, codes(visible), year)
    townships: list[Township] = [
        t for t in ctx.registry.townships if t.code in who.townships(ctx.registry)
    ]
    by_township = {
        t.code: [found[v.code] for v in ctx.registry.villages_of(t.code) if v.code in found]
        for t in townships
    }
    rated = await services_index.satisfaction(ctx.index, codes(visible), year)
    locale = request_locale(request)
    kinds = [
        (translate(Message(vocab.SERVICE_KINDS.get(k, k)), locale), s)
        for k, s in rated.by_kind.items()
    ]
    charts = township_charts(townships, by_township)
    if rated.by_organisation:
        charts.append(
            satisfaction_chart(
                "svc-satisfaction-org",
                N_("群众评议：按社会组织"),
                N_("社会组织"),
                list(rated.by_organisation.items()),
            )
        )
    if kinds:
        charts.append(
            satisfaction_chart(
                "svc-satisfaction-kind", N_("群众评议：按服务类别"), N_("服务类别"), kinds
            )
        )
    names = {v.code: v.name for v in visible}
    bursts = await services_index.kiosk_bursts(ctx.index, codes(visible))
    this_year = now_local().year
    page = DashboardPage(
        county_name=ctx.registry.name,
        year=year,
        years=tuple(range(this_year, this_year - 5, -1)),
        villages=len(visible),
        charts=charts,
        by_organisation=tuple(SatisfactionLine(n, s) for n, s in rated.by_organisation.items()),
        by_kind=tuple(SatisfactionLine(n, s) for n, s in kinds),
        overall=rated.overall,
        needs_waiting=sum(f.needs_waiting for f in found.values()),
        bursts=tuple((names.get(c, c), d) for c, d in bursts),
    )
    return render(request, "county/services.html", page)


# -- organisations and their resource lists ----------------------------------------------------
@dataclass(frozen=True)
class OrgLine:
    organisation: Organisation
    resources: int
    pairings: int


@dataclass(frozen=True)
class OrganisationsPage:
    sectors: tuple[tuple[str, tuple[OrgLine, ...]], ...]
    may_edit: bool
    form: forms.FormState = field(default_factory=forms.FormState)
    saved: str = ""
    words: Words = WORDS


async def _organisations_page(
    request: Request, state: forms.FormState | None = None
) -> OrganisationsPage:
    ctx, who = county(request), staff(request)
    db = services_db(request)
    try:
        orgs = await db.organisations()
        resources = await db.resources()
    except CouchError as exc:
        raise unreachable(exc) from exc
    paired = await services_index.pairings(ctx.index, codes(who.villages(ctx.registry)))
    sectors = tuple(
        (
            sector,
            tuple(
                OrgLine(
                    o,
                    sum(1 for r in resources if r.organisation.id == o.id and r.active),
                    sum(1 for _, p in paired if p.org_id == o.id and p.ended_on is None),
                )
                for o in found
            ),
        )
        for sector, found in by_sector(orgs)
    )
    return OrganisationsPage(
        sectors, who.county_wide, state or forms.FormState({"kind": "volunteers"})
    )


async def organisations(request: Request) -> Response:
    return render(request, "county/service_orgs.html", await _organisations_page(request))


def _read_org(form: FormData, problems: Problems) -> Organisation:
    read = forms.Reader(form, problems)
    return Organisation(
        name=read.text("name"),
        kind=read.text("kind"),
        sector=read.text("sector"),
        contact=read.text("contact"),
        phone=read.text("phone"),
        note=read.text("note"),
    )


async def add_organisation(request: Request) -> Response:
    county_wide(request)
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        try:
            org = _read_org(form, problems)
            problems.raise_any()
            saved = await services_db(request).save_organisation(
                org, repo.Actor(staff(request).name)
            )
        except DomainError as exc:
            page = await _organisations_page(request, state.fail(exc, request_locale(request)))
            return render(request, "county/service_orgs.html", page, status_code=exc.status)
        except CouchError as exc:
            raise unreachable(exc) from exc
    url = request.url_for("county_organisation", org_id=saved.id)
    return RedirectResponse(str(url), status_code=303)


@dataclass(frozen=True)
class OrganisationPage:
    organisation: Organisation
    resources: tuple[Resource, ...]
    pairings: tuple[tuple[str, PairingRow], ...]  # (village name, pairing)
    townships: tuple[Township, ...]
    may_edit: bool
    form: forms.FormState = field(default_factory=forms.FormState)
    #: What the last save sent (from the redirect): villages written, and those that failed.
    sent: tuple[int, int] | None = None
    words: Words = WORDS


async def _organisation_page(
    request: Request, state: forms.FormState | None = None
) -> OrganisationPage:
    ctx, who = county(request), staff(request)
    org_id = request.path_params["org_id"]
    db = services_db(request)
    try:
        org = await db.organisation(org_id)
        resources = await db.resources(org_id) if org else []
    except CouchError as exc:
        raise unreachable(exc) from exc
    if org is None:
        raise PageNotFound("社会组织", org_id)
    names = {v.code: v.name for v in ctx.registry.villages}
    paired = await services_index.pairings(ctx.index, codes(who.villages(ctx.registry)))
    sent = None
    q = request.query_params
    if q.get("sent", "").isdigit() and q.get("failed", "0").isdigit():
        sent = (int(q["sent"]), int(q.get("failed", "0")))
    return OrganisationPage(
        organisation=org,
        resources=tuple(resources),
        pairings=tuple((names.get(c, c), p) for c, p in paired if p.org_id == org_id),
        townships=tuple(ctx.registry.townships),
        may_edit=who.county_wide,
        form=state or forms.FormState({"frequency": "每月一次"}),
        sent=sent,
    )


async def organisation(request: Request) -> Response:
    return render(request, "county/service_org.html", await _organisation_page(request))


async def add_resource(request: Request) -> Response:
    county_wide(request)
    org_id = request.path_params["org_id"]
    db = services_db(request)
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        try:
            org = await db.organisation(org_id)
            if org is None:
                raise PageNotFound("社会组织", org_id)
            resource = read_resource(form, org.ref, problems)
            problems.raise_any()
            _, sent = await db.save_resource(resource, repo.Actor(staff(request).name))
        except DomainError as exc:
            page = await _organisation_page(request, state.fail(exc, request_locale(request)))
            return render(request, "county/service_org.html", page, status_code=exc.status)
        except CouchError as exc:
            raise unreachable(exc) from exc
    url = request.url_for("county_organisation", org_id=org_id).include_query_params(
        sent=len(sent.written) + len(sent.withdrawn), failed=len(sent.failed)
    )
    return RedirectResponse(f"{url}#resources", status_code=303)


async def withdraw_resource(request: Request) -> Response:
    """Stop offering an entry (or offer it again): the villages' copies follow."""
    county_wide(request)
    resource_id = request.path_params["resource_id"]
    db = services_db(request)
    async with request.form() as form:
        active = forms.text(form, "active") == "yes"
    try:
        found = await db.resource(resource_id)
        if found is None:
            raise PageNotFound("服务资源", resource_id)
        _, sent = await db.update_resource(
            replace(found, active=active), repo.Actor(staff(request).name)
        )
    except CouchError as exc:
        raise unreachable(exc) from exc
    url = request.url_for("county_organisation", org_id=found.organisation.id).include_query_params(
        sent=len(sent.written) + len(sent.withdrawn), failed=len(sent.failed)
    )
    return RedirectResponse(f"{url}#resource-{resource_id}", status_code=303)


routes = [
    route("/services", dashboard, name="county_services", access=SIGNED_IN),
    route(
        "/services/organisations",
        organisations,
        name="county_organisations",
        access=SIGNED_IN,
    ),
    route(
        "/services/organisations",
        add_organisation,
        name="county_organisation_add",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    route(
        "/services/organisations/{org_id}",
        organisation,
        name="county_organisation",
        access=SIGNED_IN,
    ),
    route(
        "/services/organisations/{org_id}/resources",
        add_resource,
        name="county_resource_add",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    back_to(
        "/services/organisations/{org_id}/resources",
        "county_organisation",
        name="county_resource_back",
    ),
    route(
        "/services/resources/{resource_id}/active",
        withdraw_resource,
        name="county_resource_active",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    back_to(
        "/services/resources/{resource_id}/active",
        "county_organisations",
        name="county_resource_active_back",
    ),
    *service_matching.routes,
    *service_endings.routes,
    *service_resources.routes,
]
