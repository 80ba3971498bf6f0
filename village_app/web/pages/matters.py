"""The matters list (filtered without a reload through htmx) and creating a matter."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from village_app.domain import (
    COMPLETED,
    COUNCIL_STAGES,
    COUNCILS,
    MAJOR_STAGES,
    BodyKind,
    DomainError,
    Matter,
    MatterKind,
    Problems,
    allowed_matter_bodies,
)
from village_app.i18n import N_, now_local
from village_app.web import resolve
from village_app.web.pages.matter import SAVED_MATTER, saved_redirect
from village_app.web.rendering import forms
from village_app.web.rendering.templates import render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, route

PAGE_SIZE = 25  # fits a 1366x768 screen with little scrolling
STAGE_KEYS: tuple[str, ...] = (
    *(s.key for s in MAJOR_STAGES),
    *(s.key for s in COUNCIL_STAGES),
    COMPLETED,
)
BODY_KEYS: tuple[str, ...] = (str(BodyKind.PARTY_BRANCH), *(str(c) for c in COUNCILS))
KINDS: tuple[str, ...] = (str(MatterKind.MAJOR), str(MatterKind.COUNCIL))


@dataclass(frozen=True)
class MatterFilters:
    stage: str = ""
    body: str = ""
    year: int | None = None
    kind: str = ""

    def query(self, page: int = 1) -> str:
        pairs = (
            ("kind", self.kind),
            ("stage", self.stage),
            ("body", self.body),
            ("year", self.year or ""),
        )
        parts = [f"{k}={v}" for k, v in pairs if v]
        if page > 1:
            parts.append(f"page={page}")
        return "&".join(parts)


@dataclass(frozen=True)
class MattersPage:
    filters: MatterFilters
    matters: tuple[Matter, ...]
    total: int
    page: int
    pages: int
    has_next: bool
    years: tuple[int, ...]
    stages: tuple[str, ...] = STAGE_KEYS
    bodies: tuple[str, ...] = BODY_KEYS


@dataclass(frozen=True)
class NewMatterPage:
    form: forms.FormState = field(default_factory=forms.FormState)
    #: Who may bring a council matter (a major one is always the party branch's).
    councils: tuple[str, ...] = tuple(str(b) for b in allowed_matter_bodies(MatterKind.COUNCIL))


def parse_filters(request: Request) -> MatterFilters:
    """Unknown values are ignored rather than refused: a stale bookmark still shows a list."""
    params = request.query_params
    stage = params.get("stage", "")
    body = params.get("body", "")
    year = params.get("year", "")
    kind = params.get("kind", "")
    return MatterFilters(
        kind=kind if kind in KINDS else "",
        stage=stage if stage in STAGE_KEYS else "",
        body=body if body in BODY_KEYS else "",
        year=int(year) if year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100 else None,
    )


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


async def _find(request: Request, filters: MatterFilters, number: int) -> tuple[list[Matter], int]:
    return await resolve.store(request).find_matters(
        stage=filters.stage or None,
        body=filters.body or None,
        year=filters.year,
        kind=filters.kind or None,
        limit=PAGE_SIZE,
        skip=(number - 1) * PAGE_SIZE,
    )


async def matters(request: Request) -> Response:
    filters = parse_filters(request)
    number = _page_number(request)
    found, total = await _find(request, filters, number)
    pages = max(1, -(-total // PAGE_SIZE))
    if number > pages:  # past the end (a stale link): show the last page
        number = pages
        found, total = await _find(request, filters, number)
    this_year = now_local().year
    page = MattersPage(
        filters=filters,
        matters=tuple(found),
        total=total,
        page=number,
        pages=pages,
        has_next=number < pages,
        years=tuple(range(this_year, this_year - 8, -1)),
    )
    return render(request, "matters.html", page, block="results")


async def new_matter(request: Request) -> Response:
    state = forms.FormState({"kind": "major", "year": str(now_local().year)})
    return render(request, "matter_new.html", NewMatterPage(state))


async def create_matter(request: Request) -> Response:
    async with request.form() as form:  # closes spooled uploads afterwards
        return await _create_matter(request, form)


async def _create_matter(request: Request, form: FormData) -> Response:
    state = forms.FormState.of(form)
    problems = Problems()
    read = forms.Reader(form, problems)
    kind = read.text("kind") or MatterKind.MAJOR
    try:
        year = problems.value(partial(forms.integer, form, "year", N_("年度")), None)
        matter = Matter(
            kind=kind,
            title=read.text("title"),
            body=read.text("body") if kind == MatterKind.COUNCIL else "",
            year=year if year is not None else now_local().year,
            summary=read.text("summary"),
            category=read.text("category"),
            commendation=forms.flag(form, "commendation"),
        )
        created = await resolve.store(request).create_matter(
            matter, key=forms.form_key(form), problems=problems
        )
    except DomainError as exc:
        page = NewMatterPage(state.fail(exc, request_locale(request)))
        return render(request, "matter_new.html", page, status_code=422)
    return saved_redirect(request, created.id, SAVED_MATTER)


routes = [
    route("/matters", matters, name="matters", access=SIGNED_IN),
    route("/matters", create_matter, name="matter_create", access=SECRETARY, methods=("POST",)),
    route("/matters/new", new_matter, name="matter_new", access=SECRETARY),
]
