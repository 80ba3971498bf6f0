"""社会服务 in the field app (issue 13): what the county sent (the resource list, the service
projects matched from the village's needs, its pairings), the services delivered, the
ratings collected on paper or in a meeting, and the yearly review. Needs have their own
module (:mod:`.needs`: they name people), posts theirs (:mod:`.posts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain import DomainError, Problems, ValidationError
from village_app.domain.services import (
    Need,
    Pairing,
    Project,
    Rating,
    Resource,
    Satisfaction,
    ServiceLog,
    ServiceTotals,
    YearReview,
    effective,
    satisfaction,
    service_totals,
    unmatched,
    vocab,
)
from village_app.i18n import N_, now_local
from village_app.web import resolve
from village_app.web.rendering import forms
from village_app.web.rendering.saved import note_saved, take_saved
from village_app.web.rendering.templates import current_user, render, request_locale
from village_app.web.security.permissions import SECRETARY, SIGNED_IN, back_to, route


@dataclass(frozen=True)
class Words:
    """The name tables the service templates show keys with (msgids, through ``|gettext``)."""

    kinds: dict[str, str] = field(default_factory=lambda: vocab.SERVICE_KINDS)
    kind_hints: dict[str, str] = field(default_factory=lambda: vocab.SERVICE_KIND_HINTS)
    categories: dict[str, str] = field(default_factory=lambda: vocab.HELP_CATEGORIES)
    groups: dict[str, str] = field(default_factory=lambda: vocab.KEY_GROUPS)
    hearts: dict[str, str] = field(default_factory=lambda: vocab.HEARTS)
    questions: dict[str, str] = field(default_factory=lambda: vocab.HEART_QUESTIONS)
    scores: dict[int, str] = field(default_factory=lambda: vocab.SCORE_NAMES)
    org_kinds: dict[str, str] = field(default_factory=lambda: vocab.ORG_KINDS)
    holder_kinds: dict[str, str] = field(default_factory=lambda: vocab.HOLDER_KINDS)
    sources: dict[str, str] = field(default_factory=lambda: vocab.RATING_SOURCES)
    typed_sources: tuple[str, ...] = vocab.TYPED_SOURCES
    statuses: dict[str, str] = field(default_factory=lambda: vocab.PROJECT_STATUSES)


WORDS = Words()


def is_secretary(request: Request) -> bool:
    return (current_user(request) or {}).get("role") == "secretary"


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    ok = raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100
    return int(raw) if ok else now_local().year


def _years() -> tuple[int, ...]:
    this_year = now_local().year
    return tuple(range(this_year, this_year - 5, -1))


# -- the overview ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectLine:
    project: Project
    totals: ServiceTotals
    satisfaction: Satisfaction


@dataclass(frozen=True)
class PairingLine:
    pairing: Pairing
    totals: ServiceTotals
    #: This year's activities, newest first (corrected ones too, marked by the page).
    logs: tuple[ServiceLog, ...] = ()


@dataclass(frozen=True)
class ServicesPage:
    year: int
    projects: tuple[ProjectLine, ...]
    pairings: tuple[PairingLine, ...]
    resources: int
    #: Open needs no project serves yet (counted for the secretary only: ``None`` otherwise).
    needs_waiting: int | None
    needs_open: int | None
    posts: int
    posts_held: int
    totals: ServiceTotals
    satisfaction: Satisfaction
    secretary: bool
    form: forms.FormState = field(default_factory=forms.FormState)
    #: The pairing whose activity form came back with errors (``form``).
    form_pairing: str = ""
    saved: str = ""
    #: Entries a later one corrects (shown struck through, not offered for correction).
    corrected: frozenset[str] = frozenset()
    words: Words = WORDS

    @property
    def blank(self) -> forms.FormState:
        return forms.FormState({"served_on": now_local().date().isoformat()})


async def _services_page(
    request: Request, state: forms.FormState | None = None, pairing_id: str = ""
) -> ServicesPage:
    store = resolve.store(request)
    year = now_local().year
    projects = await store.list_projects()
    every = await store.list_service_logs()
    logs = [log for log in effective(every) if log.served_on.year == year]
    of_year = [log for log in reversed(every) if log.served_on.year == year]
    ratings = [r for r in await store.list_ratings() if r.collected_on.year == year]
    secretary = is_secretary(request)
    needs: list[Need] = await store.list_needs() if secretary else []
    posts = await store.list_posts()
    today = now_local().date()
    held = {c.post_id for c in await store.list_claims() if c.active_on(today)}
    return ServicesPage(
        year=year,
        projects=tuple(
            ProjectLine(
                p,
                service_totals(log for log in logs if log.project_id == p.id),
                satisfaction(r for r in ratings if r.project_id == p.id),
            )
            for p in projects
        ),
        pairings=tuple(
            PairingLine(
                p,
                service_totals(log for log in logs if log.pairing_id == p.id),
                tuple(log for log in of_year if log.pairing_id == p.id),
            )
            for p in await store.list_pairings()
        ),
        resources=len(await store.list_resources(active_only=True)),
        needs_waiting=len(unmatched(needs, projects)) if secretary else None,
        needs_open=sum(1 for n in needs if not n.closed) if secretary else None,
        posts=len(posts),
        posts_held=sum(1 for p in posts if p.id in held),
        totals=service_totals(logs),
        satisfaction=satisfaction(ratings),
        secretary=secretary,
        form=state or forms.FormState(),
        form_pairing=pairing_id,
        corrected=frozenset(log.corrects for log in every if log.corrects),
    )


async def services(request: Request) -> Response:
    page = await _services_page(request)
    return render(request, "services.html", replace(page, saved=take_saved(request, "services")))


# -- the resource list -----------------------------------------------------------------------
@dataclass(frozen=True)
class ResourcesPage:
    groups: tuple[tuple[str, tuple[Resource, ...]], ...]  # by kind
    kind: str
    category: str
    total: int
    words: Words = WORDS


async def resources(request: Request) -> Response:
    kind = request.query_params.get("kind", "")
    category = request.query_params.get("category", "")
    kind = kind if kind in vocab.SERVICE_KINDS else ""
    category = category if category in vocab.HELP_CATEGORIES else ""
    found = await resolve.store(request).list_resources(active_only=True)
    shown = [
        r
        for r in found
        if (not kind or r.kind == kind) and (not category or category in r.categories)
    ]
    groups = tuple(
        (k, tuple(r for r in shown if r.kind == k))
        for k in vocab.SERVICE_KINDS
        if any(r.kind == k for r in shown)
    )
    page = ResourcesPage(groups, kind, category, len(found))
    return render(request, "service_resources.html", page)


# -- a project ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectPage:
    project: Project
    resource: Resource | None
    needs: tuple[Need, ...]  # for the secretary only (they name people)
    logs: tuple[ServiceLog, ...]  # newest first, corrected ones marked
    corrected: frozenset[str]
    totals: ServiceTotals
    satisfaction: Satisfaction
    ratings: int
    secretary: bool
    log_form: forms.FormState = field(default_factory=forms.FormState)
    rating_form: forms.FormState = field(default_factory=forms.FormState)
    saved: str = ""
    words: Words = WORDS


async def _project_page(
    request: Request,
    log_form: forms.FormState | None = None,
    rating_form: forms.FormState | None = None,
) -> ProjectPage:
    store = resolve.store(request)
    project = await store.get_project(request.path_params["project_id"])
    try:
        resource: Resource | None = await store.get_resource(project.resource_id)
    except DomainError:
        resource = None  # withdrawn from the village's list since
    secretary = is_secretary(request)
    needs: tuple[Need, ...] = ()
    if secretary:
        wanted = set(project.need_ids)
        needs = tuple(n for n in await store.list_needs() if n.id in wanted)
    logs = await store.list_service_logs(project_id=project.id)
    ratings = await store.list_ratings(project_id=project.id)
    today = now_local().date().isoformat()
    # After a rating is saved the form comes back for the next sheet of the same pile.
    asked = request.query_params
    sheet = {
        "collected_on": asked.get("collected_on", today)[:10],
        "source": asked.get("source", "")
        if asked.get("source") in vocab.TYPED_SOURCES
        else "paper",
    }
    return ProjectPage(
        project=project,
        resource=resource,
        needs=needs,
        logs=tuple(reversed(logs)),
        corrected=frozenset(log.corrects for log in logs if log.corrects),
        totals=service_totals(logs),
        satisfaction=satisfaction(ratings),
        ratings=len(ratings),
        secretary=secretary,
        log_form=log_form or forms.FormState({"served_on": today}),
        rating_form=rating_form or forms.FormState(sheet),
    )


async def project(request: Request) -> Response:
    page = await _project_page(request)
    saved = take_saved(request, request.path_params["project_id"])
    return render(request, "service_project.html", replace(page, saved=saved))


def hours_field(form: FormData, name: str) -> float:
    """Hours as typed (a decimal), 0 when blank."""
    raw = forms.text(form, name)
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not raw.replace(".", "", 1).isascii() or not 0 <= value <= 100_000:
        raise ValidationError(N_("时长应为 0 到 100000 之间的数（小时）"), field=name)
    return value


def required_day(problems: Problems, form: FormData, name: str, missing: str) -> date:
    day = problems.value(partial(forms.day, form, name), None)
    if day is None and not problems.about(name):
        problems.add(ValidationError(missing, field=name))
    return day or now_local().date()


def read_service_log(form: FormData, problems: Problems, **target: str) -> ServiceLog:
    """A service delivered, as typed (``target``: ``project_id=`` or ``pairing_id=``)."""
    read = forms.Reader(form, problems)

    def count(name: str, label: str) -> int:
        return problems.value(partial(forms.integer, form, name, label), None) or 0

    return ServiceLog(
        served_on=required_day(problems, form, "served_on", N_("请填写服务日期")),
        what=read.text("what"),
        place=read.text("place"),
        people_served=count("people_served", N_("服务人数")),
        volunteers=count("volunteers", N_("志愿者人数")),
        volunteer_hours=problems.value(partial(hours_field, form, "volunteer_hours"), 0.0),
        corrects=read.text("corrects") or None,
        reason=read.text("reason"),
        **target,
    )


async def add_log(request: Request) -> Response:
    async with request.form() as form:
        project_id = request.path_params["project_id"]
        problems = Problems()
        state = forms.FormState.of(form)
        try:
            log = read_service_log(form, problems, project_id=project_id)
            saved = await resolve.store(request).add_service_log(
                log, key=forms.form_key(form), problems=problems
            )
        except DomainError as exc:
            page = await _project_page(request, log_form=state.fail(exc, request_locale(request)))
            return render(request, "service_project.html", page, status_code=exc.status)
    note_saved(request, project_id, saved.id)
    url = request.url_for("service_project", project_id=project_id)
    return RedirectResponse(f"{url}#log-{saved.id}", status_code=303)


async def add_rating(request: Request) -> Response:
    async with request.form() as form:
        project_id = request.path_params["project_id"]
        problems = Problems()
        state = forms.FormState.of(form)
        scores: dict[str, int] = {}
        for heart in vocab.HEARTS:
            raw = forms.text(form, f"score_{heart}")
            if raw:
                if raw in ("1", "2", "3", "4", "5"):
                    scores[heart] = int(raw)
                else:
                    problems.add(ValidationError(N_("评分应为 1 到 5"), field=f"score_{heart}"))
        try:
            rating = Rating(
                project_id=project_id,
                scores=scores,
                collected_on=required_day(problems, form, "collected_on", N_("请填写评议日期")),
                source=forms.text(form, "source") or "paper",
            )
            saved = await resolve.store(request).add_rating(
                rating, key=forms.form_key(form), problems=problems
            )
        except DomainError as exc:
            failed = state.fail(exc, request_locale(request))
            page = await _project_page(request, rating_form=failed)
            return render(request, "service_project.html", page, status_code=exc.status)
    note_saved(request, project_id, saved.id)
    # Back to an empty form, keeping the day and the source: the next sheet of the same pile.
    url = request.url_for("service_project", project_id=project_id).include_query_params(
        collected_on=saved.collected_on.isoformat(), source=saved.source
    )
    return RedirectResponse(f"{url}#rating-form", status_code=303)


async def add_pairing_log(request: Request) -> Response:
    async with request.form() as form:
        pairing_id = request.path_params["pairing_id"]
        problems = Problems()
        state = forms.FormState.of(form)
        try:
            log = read_service_log(form, problems, pairing_id=pairing_id)
            await resolve.store(request).add_service_log(
                log, key=forms.form_key(form), problems=problems
            )
        except DomainError as exc:
            failed = state.fail(exc, request_locale(request))
            page = await _services_page(request, failed, pairing_id)
            return render(request, "services.html", page, status_code=exc.status)
    note_saved(request, "services", pairing_id)
    return RedirectResponse(f"{request.url_for('services')}#pairing-{pairing_id}", status_code=303)


# -- the yearly review -------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewPage:
    review: YearReview
    years: tuple[int, ...]
    words: Words = WORDS


async def review(request: Request) -> Response:
    found = await resolve.store(request).year_review(_year(request))
    return render(request, "service_review.html", ReviewPage(found, _years()))


routes = [
    route("/services", services, name="services", access=SIGNED_IN),
    route("/services/resources", resources, name="service_resources", access=SIGNED_IN),
    route("/services/review", review, name="service_review", access=SIGNED_IN),
    route("/services/projects/{project_id}", project, name="service_project", access=SIGNED_IN),
    route(
        "/services/projects/{project_id}/logs",
        add_log,
        name="service_log_add",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/services/projects/{project_id}/logs", "service_project", name="service_log_back"),
    route(
        "/services/projects/{project_id}/ratings",
        add_rating,
        name="service_rating_add",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to(
        "/services/projects/{project_id}/ratings", "service_project", name="service_rating_back"
    ),
    route(
        "/services/pairings/{pairing_id}/logs",
        add_pairing_log,
        name="pairing_log_add",
        access=SECRETARY,
        methods=("POST",),
    ),
    back_to("/services/pairings/{pairing_id}/logs", "services", name="pairing_log_back"),
]
