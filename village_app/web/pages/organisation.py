"""Councils and members: the core, the councils, supervision, the committees, the representatives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app import i18n
from village_app.domain import (
    CEREMONY_COUNCIL,
    MEMBER_FIELDS,
    ROSTER_BODIES,
    BodyRule,
    DomainError,
    DuplicateName,
    Member,
    NotFound,
    Problems,
    ValidationError,
    rule_for,
)
from village_app.domain.organisation import ROLE_NAMES
from village_app.i18n import N_, now_local
from village_app.web import resolve
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, back_to, route


@dataclass(frozen=True)
class Roster:
    kind: str
    members: tuple[Member, ...]
    charter: str = ""
    rule: BodyRule | None = None
    #: The day the roster is read for: who serves, who has left (Shanghai's today).
    today: date = field(default_factory=lambda: now_local().date())

    @property
    def serving(self) -> tuple[Member, ...]:
        """In office today: what the overview counts too."""
        return tuple(m for m in self.members if m.active_on(self.today))

    @property
    def upcoming(self) -> tuple[Member, ...]:
        """Elected, their term not begun."""
        return tuple(m for m in self.members if m.term_start and m.term_start > self.today)

    @property
    def ended(self) -> tuple[Member, ...]:
        """已离任: their term is over (kept: the record of who sat when)."""
        return tuple(m for m in self.members if m.ended_by(self.today))


@dataclass(frozen=True)
class CouncilsPage:
    rosters: tuple[Roster, ...]


@dataclass(frozen=True)
class CouncilPage:
    roster: Roster
    form: forms.FormState = field(default_factory=forms.FormState)
    #: Seats (or the charter) with conflicting versions from replication, to be resolved.
    conflicts: int = 0
    #: The add form met a namesake on the body: it asks whether this is another person.
    same_name: bool = False
    #: The seat just added or edited (highlighted and focused).
    saved: str = ""

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
    saved = take_saved(request, _saved_key(str(kind)))
    page = CouncilPage(roster, conflicts=len(conflicts), saved=saved)
    return render(request, "council.html", page)


def _saved_key(kind: str) -> str:
    return f"council:{kind}"


def _saved(request: Request, kind: str, member: Member) -> Response:
    """Back to the roster, at the seat just saved (highlighted there)."""
    note_saved(request, _saved_key(kind), member.id)
    url = request.url_for("council", body=kind)
    return RedirectResponse(f"{url}#member-{member.id}", status_code=303)


def _role_shown(role: str, locale: str) -> str:
    """A role as the form shows it: one of the app's words in the page's language."""
    msgid = ROLE_NAMES.get(role)
    return i18n.gettext_for(locale).gettext(msgid) if msgid else role


def _role_typed(typed: str, locale: str) -> str:
    """A role as stored: the word it translates, when it is one of the app's (an English page
    shows 书记 as Party secretary, and saving must not turn it into English)."""
    words = i18n.gettext_for(locale)
    return next((key for key, msgid in ROLE_NAMES.items() if words.gettext(msgid) == typed), typed)


def _seat(form: FormData, problems: Problems, member: Member, locale: str) -> Member:
    """``member`` with the seat's fields as typed (a date that cannot be read is noted)."""
    read = forms.Reader(form, problems)
    return replace(
        member,
        name=read.text("name"),
        role=_role_typed(read.text("role"), locale) or "成员",
        term_start=problems.value(partial(forms.day, form, "term_start"), None),
        term_end=problems.value(partial(forms.day, form, "term_end"), None),
        convenor=forms.flag(form, "convenor"),
    )


async def add_member(request: Request) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _add_member(request, form)


async def _add_member(request: Request, form: FormData) -> Response:
    kind = str(resolve.body_kind(request.path_params["body"]))
    state = forms.FormState.of(form)
    problems = Problems()
    try:
        member = _seat(form, problems, Member(body=kind, name=""), request_locale(request))
        problems.raise_any()
        added = await resolve.store(request).add_member(
            member, same_name_ok=forms.flag(form, "same_name_ok")
        )
    except DomainError as exc:
        (roster,) = await _rosters(request, kind)
        page = CouncilPage(
            roster,
            state.fail(exc, request_locale(request)),
            same_name=forms.raised(exc, DuplicateName),
        )
        return render(request, "council.html", page, status_code=exc.status)
    return _saved(request, kind, added)


@dataclass(frozen=True)
class MemberPage:
    """Editing a seat: its fields, and what was changed before (its history)."""

    kind: str
    member: Member
    form: forms.FormState
    same_name: bool = False
    fields: dict[str, str] = field(default_factory=lambda: dict(MEMBER_FIELDS))


def _member_values(member: Member, locale: str) -> dict[str, str]:
    values = {
        "name": member.name,
        "role": _role_shown(member.role, locale),
        "term_start": member.term_start.isoformat() if member.term_start else "",
        "term_end": member.term_end.isoformat() if member.term_end else "",
        "rev": member.rev,
    }
    if member.convenor:
        values["convenor"] = "on"
    return values


async def _member_of(request: Request, kind: str) -> Member:
    member = await resolve.store(request).get_member(request.path_params["member_id"])
    if member.body != kind:
        raise NotFound(N_("成员不存在"), ids=[member.id])
    return member


async def member_edit_form(request: Request) -> Response:
    kind = str(resolve.body_kind(request.path_params["body"]))
    member = await _member_of(request, kind)
    page = MemberPage(
        kind, member, forms.FormState(_member_values(member, request_locale(request)))
    )
    return render(request, "member_edit.html", page)


async def edit_member(request: Request) -> Response:
    async with request.form() as form:
        return await _edit_member(request, form)


async def _edit_member(request: Request, form: FormData) -> Response:
    """Name, role, term, convenor; the change goes into the seat's history. Carries the
    revision read, so a change made meanwhile is not overwritten."""
    kind = str(resolve.body_kind(request.path_params["body"]))
    member = await _member_of(request, kind)
    state = forms.FormState.of(form)
    problems = Problems()
    try:
        edited = replace(
            _seat(form, problems, member, request_locale(request)), rev=forms.text(form, "rev")
        )
        problems.raise_any()
        saved = await resolve.store(request).update_member(
            edited, same_name_ok=forms.flag(form, "same_name_ok")
        )
    except DomainError as exc:
        failed = state.fail(exc, request_locale(request))
        page = MemberPage(kind, member, failed, same_name=forms.raised(exc, DuplicateName))
        return render(request, "member_edit.html", page, status_code=exc.status)
    return _saved(request, kind, saved)


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
        ended = await store.update_member(
            replace(member, term_end=term_end, rev=forms.text(form, "rev"))
        )
    except DomainError as exc:
        (roster,) = await _rosters(request, kind)
        page = CouncilPage(roster, state.fail(exc, request_locale(request)))
        return render(request, "council.html", page, status_code=exc.status)
    return _saved(request, kind, ended)


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
    route(
        "/councils/{body}/members/{member_id}/edit",
        member_edit_form,
        name="member_edit_form",
        access=SECRETARY,
    ),
    route(
        "/councils/{body}/members/{member_id}/edit",
        edit_member,
        name="member_edit",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/councils/{body}/members", "council", name="member_add_back"),
    back_to("/councils/{body}/members/{member_id}/term", "council", name="member_end_term_back"),
]
