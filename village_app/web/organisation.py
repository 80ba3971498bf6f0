"""Councils and members: the core, the councils, supervision, the committees, the representatives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from village_app import repo
from village_app.domain import (
    ROSTER_BODIES,
    BodyRule,
    DomainError,
    Member,
    NotFound,
    ValidationError,
    rule_for,
)
from village_app.web import forms, resolve
from village_app.web.rendering import render, request_locale


@dataclass(frozen=True)
class Roster:
    kind: str
    members: tuple[Member, ...]
    charter: str = ""
    rule: BodyRule | None = None


@dataclass(frozen=True)
class CouncilsPage:
    rosters: tuple[Roster, ...]


@dataclass(frozen=True)
class CouncilPage:
    roster: Roster
    form: forms.FormState = field(default_factory=forms.FormState)
    #: Seats (or the charter) with conflicting versions from replication, to be resolved.
    conflicts: int = 0


async def _rosters(request: Request, only: str | None = None) -> list[Roster]:
    db, code = resolve.db(request), resolve.village(request)
    members = await repo.list_members(db, code, only, private=False)
    bodies = {b.kind: b for b in await repo.list_bodies(db, code)}
    rules = await resolve.rules(request)
    kinds = [only] if only else [str(k) for k in ROSTER_BODIES]
    return [
        Roster(
            kind=kind,
            members=tuple(m for m in members if m.body == kind),
            charter=bodies[kind].charter if kind in bodies else "",
            rule=rule_for(kind, rules),
        )
        for kind in kinds
    ]


async def councils(request: Request) -> Response:
    return render(request, "councils.html", CouncilsPage(tuple(await _rosters(request))))


async def council(request: Request) -> Response:
    kind = resolve.body_kind(request.path_params["body"])
    (roster,) = await _rosters(request, str(kind))
    conflicts = await repo.roster_conflicts(resolve.db(request), resolve.village(request), str(kind))
    return render(request, "council.html", CouncilPage(roster, conflicts=len(conflicts)))


async def add_member(request: Request) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _add_member(request, form)


async def _add_member(request: Request, form: FormData) -> Response:
    kind = str(resolve.body_kind(request.path_params["body"]))
    state = forms.FormState.of(form)
    try:
        member = Member(
            body=kind,
            name=forms.text(form, "name"),
            role=forms.text(form, "role") or "成员",
            term_start=forms.day(form, "term_start"),
            term_end=forms.day(form, "term_end"),
            convenor=forms.text(form, "convenor") == "on",
        )
        await repo.add_member(resolve.db(request), resolve.village(request), member, resolve.actor(request))
    except DomainError as exc:
        (roster,) = await _rosters(request, kind)
        page = CouncilPage(roster, state.fail(exc, request_locale(request)))
        return render(request, "council.html", page, status_code=422)
    return RedirectResponse(request.url_for("council", body=kind), status_code=303)


async def end_term(request: Request) -> Response:
    async with request.form() as form:
        return await _end_term(request, form)


async def _end_term(request: Request, form: FormData) -> Response:
    """Set when a seat ends (a roster is edited, never deleted: the record of who sat when
    stays). Carries the revision read, so a change made meanwhile is not overwritten."""
    kind = str(resolve.body_kind(request.path_params["body"]))
    db, code = resolve.db(request), resolve.village(request)
    state = forms.FormState.of(form)
    try:
        member = await repo.get_member(db, code, request.path_params["member_id"])
        if member.body != kind:
            raise NotFound("成员不存在", f"{member.id} does not sit on {kind}", ids=[member.id])
        term_end = forms.day(form, "term_end")
        if term_end is None:
            raise ValidationError("请填写任期结束日期", "the end of the term is required", field="term_end")
        await repo.update_member(
            db, code, replace(member, term_end=term_end, rev=forms.text(form, "rev")), resolve.actor(request)
        )
    except DomainError as exc:
        (roster,) = await _rosters(request, kind)
        page = CouncilPage(roster, state.fail(exc, request_locale(request)))
        return render(request, "council.html", page, status_code=exc.status)
    return RedirectResponse(request.url_for("council", body=kind), status_code=303)


routes = [
    Route("/councils", councils, name="councils"),
    Route("/councils/{body}", council, name="council"),
    Route("/councils/{body}/members", add_member, methods=["POST"], name="member_add"),
    Route("/councils/{body}/members/{member_id}/term", end_term, methods=["POST"], name="member_end_term"),
]
