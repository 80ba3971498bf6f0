"""Ending a service project or a pairing (结对共建), in county mode (issue 13): the staff who
review the village give the day and the reason; the document in the village's database is
updated (the laptop gets it at its next pull), and the village's mirror with it. An ended
project or pairing is shown as ended, takes no service dated after its end, and an ended
pairing's organisation may be paired with the village again."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sync.errors import ConflictError, CouchError, NotFoundError
from village_app import repo
from village_app.county.registry import Village
from village_app.domain import DomainError, EditConflict, NotFound, Problems
from village_app.domain.services import ServiceDoc, end_pairing, end_project
from village_app.domain.write_rules import Writer, WriteRefused, check_write
from village_app.i18n import N_
from village_app.repo.docs import services as sdocs
from village_app.web.county.pages import _mirror_store, _visible_village, county, staff
from village_app.web.county.service_matching import unreachable, village_page
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SIGNED_IN, back_to, route

Change = Callable[[dict[str, Any]], dict[str, Any]]


async def _update(
    request: Request, village: Village, store: repo.VillageStore, docid: str, change: Change
) -> None:
    """Read the document from the village's database, change it, check it as CouchDB will,
    write it; then the same revision (with its history) into the mirror. Fields this version
    does not know are kept."""
    ctx, who = county(request), staff(request)
    db = await ctx.server.database(ctx.database_name(village.code), create=False)
    try:
        try:
            current = await db.get(docid)
        except NotFoundError:
            raise NotFound(N_("记录不存在"), ids=[docid]) from None
        doc = {**current, **change(current)}
        refusal = check_write(
            doc,
            current,
            Writer(who.name, who.couch_roles),
            village.code,
            ctx.township_code(village),
        )
        if refusal is not None:
            raise WriteRefused.of(refusal)
        try:
            await db.put(doc)
        except ConflictError:
            raise EditConflict(N_("此记录已被他人修改，请刷新后再试"), ids=[docid]) from None
        fresh = await db.get(docid, revs=True)
    finally:
        await db.close()
    await store.db.bulk_docs([fresh], new_edits=False)


async def _end(request: Request, doc_type: str, param: str, anchor: str) -> Response:
    code = request.path_params["code"]
    village = _visible_village(request, code)
    store = await _mirror_store(request, code)
    docid = request.path_params[param]
    actor = repo.Actor(staff(request).name)
    async with request.form() as form:
        state = forms.FormState.of(form)
        problems = Problems()
        try:
            if not docid.startswith(f"{doc_type}:{code}:"):
                raise NotFound(N_("记录不存在"), ids=[docid])
            ended_on = problems.value(partial(forms.day, form, "ended_on"), None)
            reason = forms.Reader(form, problems).text("ended_reason")

            def change(current: dict[str, Any]) -> dict[str, Any]:
                if doc_type == ServiceDoc.PROJECT:
                    project = end_project(
                        sdocs.project_from_doc(current), ended_on, reason, problems
                    )
                    return sdocs.project_to_doc(code, project, actor)
                pairing = end_pairing(sdocs.pairing_from_doc(current), ended_on, reason, problems)
                return sdocs.pairing_to_doc(code, pairing, actor)

            await _update(request, village, store, docid, change)
        except DomainError as exc:
            failed = state.fail(exc, request_locale(request))
            page = await village_page(request, ending=docid, end_form=failed)
            return render(request, "county/service_village.html", page, status_code=exc.status)
        except CouchError as exc:
            raise unreachable(exc) from exc
    url = request.url_for("county_village_services", code=code).include_query_params(saved=docid)
    return RedirectResponse(f"{url}#{anchor}", status_code=303)


async def end_project_(request: Request) -> Response:
    return await _end(request, ServiceDoc.PROJECT, "project_id", "projects")


async def end_pairing_(request: Request) -> Response:
    return await _end(request, ServiceDoc.PAIRING, "pairing_id", "pairings")


routes = [
    route(
        "/services/villages/{code}/projects/{project_id}/end",
        end_project_,
        name="county_project_end",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    back_to(
        "/services/villages/{code}/projects/{project_id}/end",
        "county_village_services",
        name="county_project_end_back",
    ),
    route(
        "/services/villages/{code}/pairings/{pairing_id}/end",
        end_pairing_,
        name="county_pairing_end",
        access=SIGNED_IN,
        methods=("POST",),
    ),
    back_to(
        "/services/villages/{code}/pairings/{pairing_id}/end",
        "county_village_services",
        name="county_pairing_end_back",
    ),
]
