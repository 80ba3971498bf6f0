"""The 红白理事会's register: the village standard and each wedding or funeral it handled,
with whether the standard was kept (computed from the standard, never typed).

Registrations name families: the page is for the secretary only (the kiosk never gets them).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import (
    CEREMONY_COUNCIL,
    CEREMONY_KINDS,
    Ceremony,
    CeremonyLimits,
    DomainError,
    Problems,
    ValidationError,
)
from village_app.i18n import N_, now_local
from village_app.web import resolve
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, route


@dataclass(frozen=True)
class CeremoniesPage:
    year: int
    years: tuple[int, ...]
    #: The caps of the standard in force, by kind (empty when the village has set none).
    limits: dict[str, CeremonyLimits]
    ceremonies: tuple[Ceremony, ...]
    #: Serving council members: who may register an event.
    registrars: tuple[str, ...]
    form: forms.FormState = field(default_factory=forms.FormState)
    kinds: tuple[str, ...] = tuple(CEREMONY_KINDS)
    #: The council that keeps the register (the page links back to it).
    council: str = str(CEREMONY_COUNCIL)
    #: The registration just saved (highlighted and focused).
    saved: str = ""

    @property
    def kept(self) -> int:
        return sum(1 for c in self.ceremonies if c.kept)


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    return (
        int(raw)
        if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100
        else now_local().year
    )


async def _page(
    request: Request, year: int, state: forms.FormState | None = None
) -> CeremoniesPage:
    store = resolve.store(request)
    council = await store.list_members(CEREMONY_COUNCIL, on=now_local().date(), private=False)
    this_year = now_local().year
    return CeremoniesPage(
        year=year,
        years=tuple(range(this_year, this_year - 5, -1)),
        limits=await store.ceremony_limits(),
        ceremonies=tuple(reversed(await store.list_ceremonies(year=year))),
        registrars=tuple(m.name for m in council),
        form=state or forms.FormState({"held_on": now_local().date().isoformat()}),
    )


async def ceremonies(request: Request) -> Response:
    page = await _page(request, _year(request))
    return render(
        request, "ceremonies.html", replace(page, saved=take_saved(request, "ceremonies"))
    )


async def add_ceremony(request: Request) -> Response:
    async with request.form() as form:
        return await _add(request, form)


async def _add(request: Request, form: FormData) -> Response:
    state = forms.FormState.of(form)
    problems = Problems()
    read = forms.Reader(form, problems)

    def count(name: str, label: str) -> int:
        return problems.value(partial(forms.integer, form, name, label), None) or 0

    try:
        held_on = problems.value(partial(forms.day, form, "held_on"), None)
        if held_on is None and not problems.about("held_on"):
            problems.add(ValidationError(N_("请填写办理日期"), field="held_on"))
        ceremony = Ceremony(
            kind=read.text("kind"),
            family=read.text("family"),
            # A date that could not be read is reported; the other fields are still checked.
            held_on=held_on or now_local().date(),
            tables=count("tables", N_("桌数")),
            cost_per_table=count("cost_per_table", N_("每桌标准")),
            gift=count("gift", N_("礼金")),
            registered_by=read.text("registered_by"),
            note=read.text("note"),
        )
        saved = await resolve.store(request).add_ceremony(
            ceremony, key=forms.form_key(form), problems=problems
        )
    except DomainError as exc:
        page = await _page(request, _year(request), state.fail(exc, request_locale(request)))
        return render(request, "ceremonies.html", page, status_code=exc.status)
    note_saved(request, "ceremonies", saved.id)
    url = request.url_for("ceremonies").include_query_params(year=saved.held_on.year)
    return RedirectResponse(f"{url}#ceremony-{saved.id}", status_code=303)


routes = [
    route("/ceremonies", ceremonies, name="ceremonies", access=SECRETARY),
    route("/ceremonies", add_ceremony, name="ceremony_add", access=SECRETARY, methods=("POST",)),
]
