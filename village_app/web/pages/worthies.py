"""The worthies' association's advice and donations (issue 9 point 10): listed, added by the
secretary, and shown on the matter each one supports."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import BodyKind, DomainError, Matter, Problems, ValidationError
from village_app.domain.worthies import CONTRIBUTION_KINDS, Contribution
from village_app.i18n import N_, now_local
from village_app.web import resolve
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, route

#: How many open matters the form offers to choose from (the newest first).
_MATTERS_OFFERED = 200


@dataclass(frozen=True)
class WorthiesPage:
    entries: tuple[Contribution, ...]
    #: The worthies serving today (offered as names to pick).
    worthies: tuple[str, ...]
    #: Matters to choose from, and every matter's title by id (for the list).
    matters: tuple[Matter, ...]
    titles: dict[str, str]
    form: forms.FormState = field(default_factory=forms.FormState)
    kinds: dict[str, str] = field(default_factory=lambda: dict(CONTRIBUTION_KINDS))
    saved: str = ""

    @property
    def donated(self) -> int:
        """Money given, in yuan, over the entries listed."""
        return sum(e.amount or 0 for e in self.entries if e.kind == "donation")


async def _page(request: Request, state: forms.FormState | None = None) -> WorthiesPage:
    store = resolve.store(request)
    entries = await store.list_contributions()
    serving = await store.list_members(
        BodyKind.WORTHIES_ASSOCIATION, on=now_local().date(), private=False
    )
    matters, _ = await store.find_matters(limit=_MATTERS_OFFERED)
    titles = {m.id: m.title for m in matters}
    for entry in entries:  # an older matter than those offered keeps its title in the list
        if entry.matter and entry.matter not in titles:
            try:
                titles[entry.matter] = (await store.get_matter(entry.matter)).title
            except DomainError:
                continue
    return WorthiesPage(
        entries=tuple(entries),
        worthies=tuple(m.name for m in serving),
        matters=tuple(matters),
        titles=titles,
        form=state
        or forms.FormState(
            {
                "given_on": now_local().date().isoformat(),
                "kind": "advice",
                "matter": request.query_params.get("matter", ""),
            }
        ),
    )


async def worthies(request: Request) -> Response:
    page = replace(await _page(request), saved=take_saved(request, "worthies"))
    return render(request, "worthies.html", page)


async def add(request: Request) -> Response:
    async with request.form() as form:
        return await _add(request, form)


async def _add(request: Request, form: FormData) -> Response:
    state = forms.FormState.of(form)
    problems = Problems()
    read = forms.Reader(form, problems)
    try:
        given_on = problems.value(partial(forms.day, form, "given_on"), None)
        if given_on is None and not problems.about("given_on"):
            problems.add(ValidationError(N_("请填写日期"), field="given_on"))
        entry = Contribution(
            kind=read.text("kind"),
            giver=read.text("giver"),
            what=read.text("what"),
            # A date that could not be read is reported; the other fields are still checked.
            given_on=given_on or now_local().date(),
            matter=read.text("matter") or None,
            project=read.text("project"),
            amount=problems.value(partial(forms.integer, form, "amount", N_("金额")), None),
        )
        saved = await resolve.store(request).add_contribution(
            entry, key=forms.form_key(form), problems=problems
        )
    except DomainError as exc:
        page = await _page(request, state.fail(exc, request_locale(request)))
        return render(request, "worthies.html", page, status_code=exc.status)
    note_saved(request, "worthies", saved.id)
    return RedirectResponse(f"{request.url_for('worthies')}#entry-{saved.id}", status_code=303)


routes = [
    route("/worthies", worthies, name="worthies", access=SIGNED_IN),
    route("/worthies", add, name="worthies_add", access=SECRETARY, methods=("POST",)),
]
