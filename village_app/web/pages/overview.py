"""The village overview: councils, matters by stage, open supervision items."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from village_app.domain import (
    COMPLETED,
    COUNCIL_STAGES,
    COUNCILS,
    MAJOR_STAGES,
    ROSTER_BODIES,
    Matter,
    MatterKind,
    Member,
    NotFound,
    StageSpec,
    SupervisionThread,
    Village,
)
from village_app.domain.reviews import Review
from village_app.i18n import now_local
from village_app.web import resolve
from village_app.web.rendering.templates import render
from village_app.web.security.permissions import SIGNED_IN, route


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
    #: Each kind's stages, its completed matters last.
    major_stages: tuple[StageCount, ...]
    council_stages: tuple[StageCount, ...]
    open_supervision: tuple[SupervisionThread, ...]
    #: How many documents are quarantined (listed on the 无法读取的记录 page).
    unreadable: int = 0
    #: Matters the county returned, with the review that says why (newest first).
    returned: tuple[tuple[Matter, Review], ...] = ()

    @property
    def matters(self) -> int:
        return sum(c.count for c in (*self.major_stages, *self.council_stages))


def summarise_bodies(members: list[Member]) -> tuple[BodySummary, ...]:
    summaries = []
    for kind in ROSTER_BODIES:
        seats = [m for m in members if m.body == kind]
        convenor = next((m.name for m in seats if m.convenor), None)
        summaries.append(BodySummary(str(kind), len(seats), convenor, kind in COUNCILS))
    return tuple(summaries)


def _counts(stages: tuple[StageSpec, ...], counts: dict[str, int]) -> tuple[StageCount, ...]:
    return tuple(
        StageCount(key, counts.get(key, 0)) for key in (*(s.key for s in stages), COMPLETED)
    )


async def overview(request: Request) -> Response:
    store = resolve.store(request)
    try:
        village: Village | None = await store.get_village()
    except NotFound:
        village = None
    members = await store.list_members(on=now_local().date(), private=False)
    major = await store.stage_counts(kind=MatterKind.MAJOR)
    council = await store.stage_counts(kind=MatterKind.COUNCIL)
    page = OverviewPage(
        village=village,
        bodies=summarise_bodies(members),
        major_stages=_counts(MAJOR_STAGES, major),
        council_stages=_counts(COUNCIL_STAGES, council),
        open_supervision=tuple(await store.list_supervision(open_only=True)),
        unreadable=len(await store.unreadable()),
        returned=tuple(await store.returned_matters()),
    )
    return render(request, "overview.html", page)


routes = [route("/", overview, name="overview", access=SIGNED_IN)]
