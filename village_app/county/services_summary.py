"""One village's service lists as the county index keeps them (issue 13), computed from the
village's mirror with the village store (no key: a need's person stays sealed and is never
read here; the index keeps what is needed, for how many, of which group and category).

What the county's figures need, summed per project or pairing and per year, so a county-wide
page is one read of the index: services delivered, people served, volunteers and hours;
ratings as a count per score (1..5) and per 心; needs with whether a project serves them;
posts taken up and duties; and the kiosk's ratings per kiosk and day, where a flood shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from village_app.domain.services import (
    Rating,
    Satisfaction,
    ServiceLog,
    effective,
    matched_need_ids,
    satisfaction,
)
from village_app.domain.services.vocab import HEARTS
from village_app.repo.store import VillageStore


@dataclass(frozen=True)
class NeedRow:
    id: str
    group: str
    categories: tuple[str, ...]
    kind: str
    summary: str
    people: int
    visited_on: str  # ISO date
    proposed_resource: str | None
    closed: bool
    matched: bool


@dataclass(frozen=True)
class ProjectRow:
    id: str
    title: str
    org_id: str
    org_name: str
    kind: str
    status: str
    need_count: int
    starts_on: str


@dataclass(frozen=True)
class PairingRow:
    id: str
    org_id: str
    org_name: str
    since: str
    ended_on: str | None
    schedule: str


@dataclass(frozen=True)
class ServiceYear:
    """Services of one project (or one pairing's activities) in one year."""

    project_id: str | None
    pairing_id: str | None
    year: int
    services: int
    people: int
    volunteers: int
    hours: float


@dataclass(frozen=True)
class RatingYear:
    project_id: str
    year: int
    source: str
    ratings: int
    distribution: tuple[int, ...]  # answers scoring 1..5
    hearts: dict[str, tuple[int, int]]  # 心 -> (answers, sum)


@dataclass(frozen=True)
class KioskDay:
    device: str
    day: str
    ratings: int


@dataclass(frozen=True)
class DutyYear:
    year: int
    duties: int
    hours: float


@dataclass(frozen=True)
class ServiceSummary:
    needs: tuple[NeedRow, ...] = ()
    projects: tuple[ProjectRow, ...] = ()
    pairings: tuple[PairingRow, ...] = ()
    services: tuple[ServiceYear, ...] = ()
    ratings: tuple[RatingYear, ...] = ()
    kiosk_days: tuple[KioskDay, ...] = ()
    duties: tuple[DutyYear, ...] = ()
    posts: int = 0
    posts_held: int = 0


def _service_years(logs: Iterable[ServiceLog]) -> tuple[ServiceYear, ...]:
    sums: dict[tuple[str | None, str | None, int], list[float]] = {}
    for log in effective(logs):
        key = (log.project_id, None if log.project_id else log.pairing_id, log.served_on.year)
        row = sums.setdefault(key, [0, 0, 0, 0.0])
        row[0] += 1
        row[1] += log.people_served
        row[2] += log.volunteers
        row[3] += log.volunteer_hours
    return tuple(
        ServiceYear(p, q, y, int(v[0]), int(v[1]), int(v[2]), round(v[3], 1))
        for (p, q, y), v in sorted(sums.items(), key=lambda kv: (kv[0][2], str(kv[0][:2])))
    )


def _rating_years(ratings: Iterable[Rating]) -> tuple[RatingYear, ...]:
    groups: dict[tuple[str, int, str], list[Rating]] = {}
    for r in ratings:
        groups.setdefault((r.project_id, r.collected_on.year, r.source), []).append(r)
    out = []
    for (project_id, year, source), found in sorted(groups.items()):
        s: Satisfaction = satisfaction(found)
        out.append(
            RatingYear(
                project_id,
                year,
                source,
                s.ratings,
                s.distribution,
                {h: s.by_heart[h] for h in HEARTS if h in s.by_heart},
            )
        )
    return tuple(out)


async def summarise_services(store: VillageStore, *, today: str) -> ServiceSummary:
    """``store``: the village's mirror (no key); ``today``: the ISO date posts are held on."""
    needs = await store.list_needs()
    projects = await store.list_projects()
    matched = matched_need_ids(projects)
    ratings = await store.list_ratings()
    kiosk: dict[tuple[str, str], int] = {}
    for r in ratings:
        if r.source == "kiosk":
            key = (r.device, r.collected_on.isoformat())
            kiosk[key] = kiosk.get(key, 0) + 1
    posts = await store.list_posts()
    claims = await store.list_claims()
    held = {
        c.post_id
        for c in claims
        if c.since.isoformat() <= today and (c.ended_on is None or c.ended_on.isoformat() >= today)
    }
    duty_sums: dict[int, list[float]] = {}
    for d in effective(await store.list_duty_logs()):
        row = duty_sums.setdefault(d.done_on.year, [0, 0.0])
        row[0] += 1
        row[1] += d.hours
    return ServiceSummary(
        needs=tuple(
            NeedRow(
                n.id,
                n.group,
                n.categories,
                n.kind,
                n.summary,
                n.people,
                n.visited_on.isoformat(),
                n.proposed_resource,
                n.closed,
                n.id in matched,
            )
            for n in needs
        ),
        projects=tuple(
            ProjectRow(
                p.id,
                p.title,
                p.organisation.id,
                p.organisation.name,
                p.kind,
                p.status,
                len(p.need_ids),
                p.starts_on.isoformat(),
            )
            for p in projects
        ),
        pairings=tuple(
            PairingRow(
                p.id,
                p.organisation.id,
                p.organisation.name,
                p.since.isoformat(),
                p.ended_on.isoformat() if p.ended_on else None,
                p.schedule,
            )
            for p in await store.list_pairings()
        ),
        services=_service_years(await store.list_service_logs()),
        ratings=_rating_years(ratings),
        kiosk_days=tuple(KioskDay(d, day, n) for (d, day), n in sorted(kiosk.items())),
        duties=tuple(DutyYear(y, int(v[0]), round(v[1], 1)) for y, v in sorted(duty_sums.items())),
        posts=len(posts),
        posts_held=sum(1 for p in posts if p.id in held),
    )
