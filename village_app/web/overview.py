"""The village overview: councils, matters by stage, open supervision items."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from village_app import repo
from village_app.domain import (
    COMPLETED,
    COUNCIL_STAGES,
    COUNCILS,
    MAJOR_STAGES,
    ROSTER_BODIES,
    Member,
    NotFound,
    SupervisionThread,
    Village,
)
from village_app.i18n import now_local
from village_app.web import resolve
from village_app.web.rendering import render


@dataclass(frozen=True)
class BodySummary:
    kind: str
    members: int
    convenor: str | None
    council: bool


@dataclass(frozen=True)
class StageCount:
    stage: str
    count: int


@dataclass(frozen=True)
class OverviewPage:
    village: Village | None
    bodies: tuple[BodySummary, ...]
    major_stages: tuple[StageCount, ...]
    council_stages: tuple[StageCount, ...]
    completed: int
    open_supervision: tuple[SupervisionThread, ...]

    @property
    def matters(self) -> int:
        return self.completed + sum(c.count for c in (*self.major_stages, *self.council_stages))


def summarise_bodies(members: list[Member]) -> tuple[BodySummary, ...]:
    summaries = []
    for kind in ROSTER_BODIES:
        seats = [m for m in members if m.body == kind]
        convenor = next((m.name for m in seats if m.convenor), None)
        summaries.append(BodySummary(str(kind), len(seats), convenor, kind in COUNCILS))
    return tuple(summaries)


async def overview(request: Request) -> Response:
    db, code = resolve.db(request), resolve.village(request)
    try:
        village: Village | None = await repo.get_village(db, code)
    except NotFound:
        village = None
    members = await repo.list_members(db, code, on=now_local().date(), private=False)
    counts = await repo.stage_counts(db, code)
    page = OverviewPage(
        village=village,
        bodies=summarise_bodies(members),
        major_stages=tuple(StageCount(s.key, counts.get(s.key, 0)) for s in MAJOR_STAGES),
        council_stages=tuple(StageCount(s.key, counts.get(s.key, 0)) for s in COUNCIL_STAGES),
        completed=counts.get(COMPLETED, 0),
        open_supervision=tuple(await repo.list_supervision(db, code, open_only=True)),
    )
    return render(request, "overview.html", page)


routes = [Route("/", overview, name="overview")]
