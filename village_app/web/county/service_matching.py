"""Matching villages' needs to the resource list into service projects, and pairing an
organisation with a village (结对共建), in county mode (issue 13).

The needs waiting across the county come from the county index (one read); a village's own
page, and the checks before a project is written, read that village's mirror, as a matter
page does. A project or a pairing is written into the village's database on the county's
CouchDB (the laptop gets it at its next pull) and the same revision into the mirror, so the
page shows it at once. The needs carry no names: the county never holds the key that opens
them, and does not need to (the village introduces the organisation to the households).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sync.errors import ConflictError, CouchError
from village_app import repo
from village_app.county import services_index
from village_app.county.registry import Township, Village
from village_app.county.services_db import CountyServices
from village_app.county.services_summary import NeedRow
from village_app.domain import DomainError, NotFound, Problems, ValidationError
from village_app.domain.services import (
    Need,
    Organisation,
    Pairing,
    Project,
    Resource,
    Satisfaction,
    ServiceDoc,
    ServiceTotals,
    Suggestion,
    make_project,
    satisfaction,
    service_totals,
    suggest,
    validate_pairing,
)
from village_app.domain.write_rules import Writer, WriteRefused, check_write
from village_app.i18n import N_, now_local
from village_app.repo.docs import services as sdocs
from village_app.repo.ids import is_form_key, make_id, split_id
from village_app.web.county.context import CountyContext, codes
from village_app.web.county.pages import _mirror_store, _visible_village, county, staff
from village_app.web.pages.services import WORDS, Words
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SIGNED_IN, back_to, route

log = logging.getLogger(__name__)


UNREACHABLE: Final = N_("县数据库暂时无法连接，请稍后再试。")


def services_db(request: Request) -> CountyServices:
    """The county's services database, written for the signed-in person."""
    ctx, who = county(request), staff(request)
    return CountyServices(ctx.server, ctx.registry, ctx.prefix, writer_roles=who.couch_roles)


def unreachable(exc: CouchError) -> HTTPException:
    log.warning("county services: CouchDB cannot be reached: %s", exc)
    return HTTPException(503, UNREACHABLE)


def _keyed_id(doc_type: str, code: str, key: str | None) -> str | None:
    """The id the form's idempotency key gives (a repeated submission finds the first)."""
    return make_id(doc_type, code, key) if key and is_form_key(key) else None


def need_of(row: NeedRow) -> Need:
    """A need as the index keeps it (no person: the county never has one)."""
    return Need(
        group=row.group,
        summary=row.summary,
        visited_on=date.fromisoformat(row.visited_on),
        categories=row.categories,
        kind=row.kind,
        people=row.people,
        proposed_resource=row.proposed_resource,
        closed=row.closed,
        id=row.id,
    )


# -- the needs waiting -------------------------------------------------------------------------
@dataclass(frozen=True)
class NeedLine:
    need: NeedRow
    suggestions: tuple[Suggestion, ...]
    proposed: Resource | None  # the village's proposal (a master entry), when it names one


@dataclass(frozen=True)
class VillageNeeds:
    village: Village
    township: Township | None
    lines: tuple[NeedLine, ...]
    #: The resources offered in the project form: those suggested for any of its needs.
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class NeedsPage:
    groups: tuple[VillageNeeds, ...]
    townships: tuple[Township, ...]
    township: str
    category: str
    group: str
    total: int
    no_resources: bool
    #: The village whose project form came back with errors, and the form.
    failed: str = ""
    form: forms.FormState = field(default_factory=forms.FormState)
    words: Words = WORDS

    def state(self, code: str) -> forms.FormState:
        if self.failed == code:
            return self.form
        return forms.FormState({"starts_on": now_local().date().isoformat()})


async def _needs_page(
    request: Request, failed: str = "", state: forms.FormState | None = None
) -> NeedsPage:
    ctx, who = county(request), staff(request)
    visible = {v.code: v for v in who.villages(ctx.registry)}
    q = request.query_params
    township = (
        q.get("township", "") if q.get("township") in {v.township for v in visible.values()} else ""
    )
    category = q.get("category", "")
    group = q.get("group", "")
    found = await services_index.needs(ctx.index, codes(list(visible.values())))
    try:
        resources = [r for r in await services_db(request).resources() if r.active]
    except CouchError as exc:
        raise unreachable(exc) from exc
    master = {r.key: r for r in resources}
    by_village: dict[str, list[NeedLine]] = {}
    for code, row in found:
        village = visible[code]
        if township and village.township != township:
            continue
        if (category and category not in row.categories) or (group and row.group != group):
            continue
        proposed = None
        if row.proposed_resource:
            proposed = master.get(row.proposed_resource.rsplit(":", 1)[-1])
        by_village.setdefault(code, []).append(
            NeedLine(row, tuple(suggest(need_of(row), resources, village.township)[:5]), proposed)
        )
    groups = []
    for code, lines in by_village.items():
        offered: dict[str, tuple[int, Resource]] = {}
        for line in lines:
            for s in line.suggestions:
                best = offered.get(s.resource.id, (0, s.resource))[0]
                offered[s.resource.id] = (best + s.score, s.resource)
            if line.proposed is not None:
                offered.setdefault(line.proposed.id, (100, line.proposed))
        village = visible[code]
        groups.append(
            VillageNeeds(
                village,
                ctx.registry.township(village.township),
                tuple(lines),
                tuple(r for _, r in sorted(offered.values(), key=lambda x: (-x[0], x[1].title))),
            )
        )
    groups.sort(key=lambda g: (g.village.township, g.village.code))
    return NeedsPage(
        groups=tuple(groups),
        townships=tuple(t for t in ctx.registry.townships if t.code in who.townships(ctx.registry)),
        township=township,
        category=category,
        group=group,
        total=len(found),
        no_resources=not resources,
        failed=failed,
        form=state or forms.FormState(),
    )


async def needs(request: Request) -> Response:
    return render(request, "county/service_needs.html", await _needs_page(request))


async def _write(
    ctx: CountyContext, code: str, doc: dict[str, Any], store: repo.VillageStore
) -> None:
    """Into the village's database on the county's CouchDB, then the same revision into the
    county's mirror (the page shows it at once)."""
    db = await ctx.server.database(ctx.database_name(code), create=False)
    try:
        try:
            written = await db.put(doc)
        except ConflictError:  # the same form sent twice: the first one stands
            return
    finally:
        await db.close()
    await store.db.bulk_docs([{**doc, "_rev": written["rev"]}], new_edits=False)


def _check(request: Request, village: Village, doc: dict[str, Any]) -> None:
    ctx, who = county(request), staff(request)
    refusal = check_write(
        doc, None, Writer(who.name, who.couch_roles), village.code, ctx.township_code(village)
    )
    if refusal is not None:
        raise WriteRefused.of(refusal)


async def _village_copy(
    request: Request, store: repo.VillageStore, village: Village, master_id: str
) -> Resource:
    """The village's copy of a master entry (sent now if it has not arrived yet)."""
    db = services_db(request)
    master = next((r for r in await db.resources() if r.id == master_id), None)
    if master is None:
        raise ValidationError(N_("请选择服务资源"), field="resource_id")
    _, _, suffix = split_id(master.id)
    copy_id = f"{ServiceDoc.RESOURCE}:{village.code}:{suffix}"
    try:
        return await store.get_resource(copy_id)
    except NotFound:
        pass
    result = await db.fan_out(master, repo.Actor(staff(request).name), [village.code])
    if not result.ok:
        raise CouchError(f"the resource could not be sent to {village.code}")
    source = await county(request).server.database(
        county(request).database_name(village.code), create=False
    )
    try:
        doc = await source.get(copy_id)
    finally:
        await source.close()
    await store.db.bulk_docs([doc], new_edits=False)
    return sdocs.resource_from_doc(doc)


async def add_project(request: Request) -> Response:
    code = request.path_params["code"]
    village = _visible_village(request, code)
    store = await _mirror_store(request, code)
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        read = forms.Reader(form, problems)
        try:
            need_ids = [v for v in form.getlist("need_ids") if isinstance(v, str)]
            chosen: list[Need] = []
            for need_id in dict.fromkeys(need_ids):
                with problems.check():
                    chosen.append(await store.get_need(need_id))
            starts_on = problems.value(partial(forms.day, form, "starts_on"), None)
            if starts_on is None and not problems.about("starts_on"):
                problems.add(ValidationError(N_("请填写开始日期"), field="starts_on"))
            resource_id = read.text("resource_id")
            resource = None
            if not resource_id:
                problems.add(ValidationError(N_("请选择服务资源"), field="resource_id"))
            else:
                with problems.check():
                    resource = await _village_copy(request, store, village, resource_id)
            problems.raise_any()
            assert resource is not None and starts_on is not None
            project = make_project(
                chosen,
                resource,
                township=village.township,
                starts_on=starts_on,
                title=read.text("title"),
                schedule=read.text("schedule"),
                note=read.text("note"),
            )
            actor = repo.Actor(staff(request).name)
            key = forms.form_key(form)
            docid = _keyed_id(ServiceDoc.PROJECT, code, key)
            doc = sdocs.project_to_doc(code, project, actor, docid=docid)
            _check(request, village, doc)
            await _write(county(request), code, doc, store)
        except DomainError as exc:
            page = await _needs_page(request, code, state.fail(exc, request_locale(request)))
            return render(request, "county/service_needs.html", page, status_code=exc.status)
        except CouchError as exc:
            raise unreachable(exc) from exc
    url = request.url_for("county_village_services", code=code).include_query_params(
        saved=str(doc["_id"])
    )
    return RedirectResponse(f"{url}#projects", status_code=303)


# -- one village -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectLine:
    project: Project
    totals: ServiceTotals
    satisfaction: Satisfaction


@dataclass(frozen=True)
class VillagePage:
    village: Village
    township: Township | None
    projects: tuple[ProjectLine, ...]
    pairings: tuple[tuple[Pairing, ServiceTotals], ...]
    needs: tuple[Need, ...]  # no persons
    matched: frozenset[str]
    organisations: tuple[Organisation, ...]
    saved: str = ""
    form: forms.FormState = field(default_factory=forms.FormState)
    #: The project or pairing whose 结束 form came back with errors, and that form.
    ending: str = ""
    end_form: forms.FormState = field(default_factory=forms.FormState)
    words: Words = WORDS

    @property
    def ending_elsewhere(self) -> bool:
        """The 结束 form that came back is not on the page (that project or pairing has
        ended already): its message goes at the top."""
        shown = {line.project.id for line in self.projects if line.project.active}
        shown |= {p.id for p, _ in self.pairings if p.active}
        return bool(self.ending) and self.ending not in shown

    def end_state(self, docid: str) -> forms.FormState:
        if self.ending == docid:
            return self.end_form
        return forms.FormState({"ended_on": now_local().date().isoformat()})


async def village_page(
    request: Request,
    state: forms.FormState | None = None,
    *,
    ending: str = "",
    end_form: forms.FormState | None = None,
) -> VillagePage:
    code = request.path_params["code"]
    village = _visible_village(request, code)
    store = await _mirror_store(request, code)
    projects = await store.list_projects()
    logs = await store.list_service_logs()
    ratings = await store.list_ratings()
    try:
        orgs = await services_db(request).organisations()
    except CouchError:
        orgs = []  # the pairing form says so; the rest of the page reads the mirror
    pairings = await store.list_pairings()
    # An organisation paired with the village now is not offered again (one whose pairing
    # ended is).
    paired = {p.organisation.id for p in pairings if p.active}
    return VillagePage(
        village=village,
        township=county(request).registry.township(village.township),
        projects=tuple(
            ProjectLine(
                p,
                service_totals(log for log in logs if log.project_id == p.id),
                satisfaction(r for r in ratings if r.project_id == p.id),
            )
            for p in projects
        ),
        pairings=tuple(
            (p, service_totals(log for log in logs if log.pairing_id == p.id)) for p in pairings
        ),
        needs=tuple(await store.list_needs()),
        matched=frozenset(i for p in projects for i in p.need_ids),
        organisations=tuple(o for o in orgs if o.id not in paired),
        saved=request.query_params.get("saved", ""),
        form=state or forms.FormState({"since": now_local().date().isoformat()}),
        ending=ending,
        end_form=end_form or forms.FormState(),
    )


async def village(request: Request) -> Response:
    return render(request, "county/service_village.html", await village_page(request))


async def add_pairing(request: Request) -> Response:
    code = request.path_params["code"]
    village_ = _visible_village(request, code)
    store = await _mirror_store(request, code)
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        read = forms.Reader(form, problems)
        try:
            org_id = read.text("organisation")
            orgs = {o.id: o for o in await services_db(request).organisations()}
            org = orgs.get(org_id)
            since = problems.value(partial(forms.day, form, "since"), None)
            if since is None and not problems.about("since"):
                problems.add(ValidationError(N_("请填写开始日期"), field="since"))
            pairing = Pairing(
                org.ref if org else Organisation("", "", "").ref,
                since or now_local().date(),
                read.text("schedule"),
                read.text("content"),
            )
            with problems.check():
                pairing = validate_pairing(pairing, await store.list_pairings())
            problems.raise_any()
            actor = repo.Actor(staff(request).name)
            docid = _keyed_id(ServiceDoc.PAIRING, code, forms.form_key(form))
            doc = sdocs.pairing_to_doc(code, pairing, actor, docid=docid)
            _check(request, village_, doc)
            await _write(county(request), code, doc, store)
        except DomainError as exc:
            page = await village_page(request, state.fail(exc, request_locale(request)))
            return render(request, "county/service_village.html", page, status_code=exc.status)
        except CouchError as exc:
            raise unreachable(exc) from exc
    url = request.url_for("county_village_services", code=code).include_query_params(
        saved=str(doc["_id"])
    )
    return RedirectResponse(f"{url}#pairings", status_code=303)


routes = [
    route("/services/needs", needs, name="county_needs", access=SIGNED_IN),
    route("/services/villages/{code}", village, name="county_village_services", access=SIGNED_IN),
    route(
        "/services/villages/{code}/projects",
        add_project,
        name="county_project_add",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    back_to("/services/villages/{code}/projects", "county_needs", name="county_project_back"),
    route(
        "/services/villages/{code}/pairings",
        add_pairing,
        name="county_pairing_add",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    back_to(
        "/services/villages/{code}/pairings",
        "county_village_services",
        name="county_pairing_back",
    ),
]
