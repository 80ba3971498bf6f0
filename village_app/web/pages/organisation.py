"""Councils and members: the core, the councils, supervision, the committees, the representatives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import (
    CEREMONY_COUNCIL,
    ROSTER_BODIES,
    BodyRule,
    DomainError,
    Member,
    NotFound,
    ValidationError,
    rule_for,
)
from village_app.i18n import N_
from village_app.web import resolve
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, back_to, route


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

    @property
    def keeps_ceremonies(self) -> bool:
        """This council keeps the 红白事 register (the page links to it)."""
        return self.roster.kind == CEREMONY_COUNCIL


async def _rosters(request: Request, only: str | None = None) -> list[Roster]:
    store = resolve.store(request)
    members = await store.list_members(only, private=False)
    bodies = {b.kind: b for b in await store.list_bodies()}
    rules = await resolve.store(request).rules()
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
    conflicts = await resolve.store(request).roster_conflicts(str(kind))
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
        await resolve.store(request).add_member(member)
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
    store = resolve.store(request)
    state = forms.FormState.of(form)
    try:
        member = await store.get_member(request.path_params["member_id"])
        if member.body != kind:
            raise NotFound(N_("成员不存在"), ids=[member.id])
        term_end = forms.day(form, "term_end")
        if term_end is None:
            raise ValidationError(N_("请填写任期结束日期"), field="term_end")
        await store.update_member(replace(member, term_end=term_end, rev=forms.text(form, "rev")))
    except DomainError as exc:
        (roster,) = await _rosters(request, kind)
        page = CouncilPage(roster, state.fail(exc, request_locale(request)))
        return render(request, "council.html", page, status_code=exc.status)
    return RedirectResponse(request.url_for("council", body=kind), status_code=303)


routes = [
    route("/councils", councils, name="councils", access=SIGNED_IN),
    route("/councils/{body}", council, name="council", access=SIGNED_IN),
    route(
        "/councils/{body}/members",
        add_member,
        name="member_add",
        access=SECRETARY,
        methods=("POST",),
    ),
    route(
        "/councils/{body}/members/{member_id}/term",
        end_term,
        name="member_end_term",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/councils/{body}/members", "council", name="member_add_back"),
    back_to("/councils/{body}/members/{member_id}/term", "council", name="member_end_term_back"),
]
