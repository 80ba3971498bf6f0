"""The kiosk's service pages (issue 13): the village's service projects and the services
delivered, its public-service posts and who holds them, and the one form the kiosk has: a
villager rates a project on the five 心.

Everything shown comes from public twins (:mod:`village_app.kiosk.services`). The rating is
the kiosk's only write route: anonymous (no name, no free text), CSRF-protected like every
form of the app, once per project per visit (:mod:`.visits`; after a rating the form is not
offered again for that project until the screen goes home by itself), kept in the kiosk's
own ratings store and pushed to its inbox on the county (:mod:`village_app.kiosk.ratings`).
No JavaScript is needed: the form posts and the page comes back saying thank you."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from village_app.domain.dates import now_utc, to_shanghai
from village_app.domain.errors import ValidationError
from village_app.domain.services.ratings import SCORES
from village_app.domain.services.vocab import (
    HEART_QUESTIONS,
    HEARTS,
    HOLDER_KINDS,
    SCORE_NAMES,
    SERVICE_KINDS,
)
from village_app.i18n import N_
from village_app.kiosk.services import PublicPost, PublicProject, PublicService
from village_app.web.errors import PageNotFound
from village_app.web.kiosk.context import kiosk
from village_app.web.kiosk.pages import Frame, snapshot
from village_app.web.kiosk.visits import VISIT_KEY
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import PUBLIC, route

log = logging.getLogger(__name__)

#: Services listed on a project's page, newest first (the rest are counted).
SERVICES_SHOWN: Final = 6
#: Projects per page of the list.
PAGE_SIZE: Final = 6

#: Why the form is not offered.
RATED: Final = "rated"  # this visit rated this project already
NO_RATINGS: Final = "no_ratings"  # this kiosk has no account to send ratings with
ENDED: Final = "ended"  # the project has ended


@dataclass(frozen=True)
class ServicesPage:
    frame: Frame
    projects: list[PublicProject]
    page: int
    pages: int
    total: int
    previous_url: str | None
    next_url: str | None
    pairing_services: list[PublicService]  # pairings' activities, newest first
    services: int  # standing services in all
    people_served: int
    kinds: dict[str, str] = field(default_factory=lambda: dict(SERVICE_KINDS))


@dataclass(frozen=True)
class Question:
    heart: str
    label: str  # msgid (孝心…)
    question: str  # msgid
    chosen: int | None = None


@dataclass(frozen=True)
class ProjectPage:
    frame: Frame
    project: PublicProject
    services: list[PublicService]
    more_services: int
    #: None: the form is offered; else why not (RATED, NO_RATINGS, ENDED).
    closed: str | None
    thanks: bool  # just rated
    questions: list[Question] = field(default_factory=list)
    scores: list[tuple[int, str]] = field(default_factory=list)  # 1..5 and their words
    error: str | None = None  # msgid
    kinds: dict[str, str] = field(default_factory=lambda: dict(SERVICE_KINDS))


@dataclass(frozen=True)
class PostsPage:
    frame: Frame
    posts: list[PublicPost]
    holder_kinds: dict[str, str] = field(default_factory=lambda: dict(HOLDER_KINDS))


async def services(request: Request) -> Response:
    """服务项目: running projects first, each with its services and people served."""
    held, frame = await snapshot(request)
    lists = held.services
    projects = list(lists.projects)
    pages = max(1, math.ceil(len(projects) / PAGE_SIZE))
    raw = request.query_params.get("page", "1")
    number = min(int(raw) if raw.isdigit() and 0 < len(raw) < 6 else 1, pages)
    base = request.url_for("kiosk_services").path
    page = ServicesPage(
        frame,
        projects[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        number,
        pages,
        len(projects),
        f"{base}?page={number - 1}" if number > 1 else None,
        f"{base}?page={number + 1}" if number < pages else None,
        [s for s in lists.services if not s.project_id][:SERVICES_SHOWN],
        len(lists.services),
        lists.people_served,
    )
    return render(request, "kiosk/services.html", page)


def _questions(chosen: dict[str, int] | None = None) -> list[Question]:
    chosen = chosen or {}
    return [Question(h, HEARTS[h], HEART_QUESTIONS[h], chosen.get(h)) for h in HEARTS]


async def _project_page(
    request: Request,
    *,
    chosen: dict[str, int] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    held, frame = await snapshot(request)
    project_id = request.path_params["project_id"]
    project = held.services.project(project_id)
    if project is None:
        raise PageNotFound("服务项目", project_id)
    context = kiosk(request)
    visit = str(request.session.get(VISIT_KEY, ""))
    closed = None
    if context.ratings is None:
        closed = NO_RATINGS
    elif context.visits.rated(visit, project_id):
        closed = RATED
    elif not project.active:
        closed = ENDED
    page = ProjectPage(
        frame,
        project,
        list(project.services[:SERVICES_SHOWN]),
        max(0, len(project.services) - SERVICES_SHOWN),
        closed,
        thanks=closed == RATED and request.query_params.get("rated") == "1",
        questions=_questions(chosen),
        scores=[(s, SCORE_NAMES[s]) for s in SCORES],
        error=error,
    )
    return render(request, "kiosk/service.html", page, status_code=status_code)


async def project(request: Request) -> Response:
    return await _project_page(request)


async def rate(request: Request) -> Response:
    """A villager's rating: kept in the kiosk's ratings store, then back to the project's
    page, which thanks them and offers no form for it again in this visit."""
    context = kiosk(request)
    project_id = request.path_params["project_id"]
    held, _ = await snapshot(request)
    found = held.services.project(project_id)
    if found is None:
        raise PageNotFound("服务项目", project_id)
    visit = str(request.session.get(VISIT_KEY, ""))
    if context.ratings is None or not found.active:
        return await _project_page(request, status_code=409)
    if context.visits.rated(visit, project_id):
        return await _project_page(request, status_code=409)
    form = await request.form()
    scores: dict[str, int] = {}
    for heart in HEARTS:
        value = form.get(f"score_{heart}")
        if isinstance(value, str) and value.isdigit() and int(value) in SCORES:
            scores[heart] = int(value)
    if not scores:
        return await _project_page(
            request, chosen=scores, error=N_("请至少为一项“心”选择满意程度"), status_code=400
        )
    day = to_shanghai(now_utc()).date()
    try:
        await context.ratings.record(project_id, scores, day)
    except ValidationError:
        return await _project_page(
            request, chosen=scores, error=N_("请至少为一项“心”选择满意程度"), status_code=400
        )
    context.visits.mark(visit, project_id)
    log.info("kiosk: a rating of %s kept", project_id)
    target = request.url_for("kiosk_service", project_id=project_id).path
    return RedirectResponse(f"{target}?rated=1#rating", status_code=303)


async def posts(request: Request) -> Response:
    """公益岗位: each post, its duties and who holds it now."""
    held, frame = await snapshot(request)
    return render(request, "kiosk/posts.html", PostsPage(frame, list(held.services.posts)))


routes = [
    route("/services", services, name="kiosk_services", access=PUBLIC),
    route("/services/{project_id}", project, name="kiosk_service", access=PUBLIC),
    route(
        "/services/{project_id}/rate",
        rate,
        name="kiosk_rate",
        access=PUBLIC,
        methods=["POST"],
    ),
    route("/posts", posts, name="kiosk_posts", access=PUBLIC),
]
