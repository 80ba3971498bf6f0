"""群众评议: villagers rate a service project on the five 心 (1 to 5 each, a 心 that does not
concern them left out), and every year the projects and the posts are reviewed.

A rating is anonymous: it says which project, the scores, where it was collected
(:data:`~village_app.domain.services.vocab.RATING_SOURCES`: a paper form, a meeting, the
kiosk) and, for the kiosk, which kiosk (``device``), so that a flood of ratings from one
kiosk shows as such (:func:`bursts`). Ratings are evidence: never edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from village_app.domain.errors import Problems, ValidationError
from village_app.domain.services.lists import Project
from village_app.domain.services.logs import (
    Claim,
    DutyLog,
    Post,
    ServiceLog,
    ServiceTotals,
    effective,
    service_totals,
)
from village_app.domain.services.vocab import HEARTS, RATING_SOURCES
from village_app.i18n import N_

SCORES: Final = (1, 2, 3, 4, 5)
#: A score at least this is "satisfied" (满意率).
SATISFIED: Final = 4
#: Ratings from one kiosk on one day above this are flagged as a burst.
BURST_PER_DAY: Final = 30


@dataclass(frozen=True)
class Rating:
    project_id: str
    scores: Mapping[str, int]  # HEARTS key -> 1..5 (the 心 asked and answered)
    collected_on: date
    source: str = "paper"  # RATING_SOURCES
    device: str = ""  # the kiosk's id, for kiosk ratings
    id: str = ""
    created_at: str = ""
    created_by: str = ""

    @property
    def average(self) -> float:
        return sum(self.scores.values()) / len(self.scores) if self.scores else 0.0


def validate_rating(rating: Rating, problems: Problems | None = None) -> Rating:
    problems = problems if problems is not None else Problems()
    if not rating.project_id:
        problems.add(ValidationError(N_("请选择服务项目"), field="project_id"))
    if rating.source not in RATING_SOURCES:
        problems.add(ValidationError(N_("选项不正确，请重新选择"), field="source"))
    if not rating.scores:
        problems.add(ValidationError(N_("请至少对一项“心”打分"), field="scores"))
    for heart, score in rating.scores.items():
        if heart not in HEARTS or isinstance(score, bool) or score not in SCORES:
            problems.add(ValidationError(N_("评分应为 1 到 5"), field=f"score_{heart}"))
    problems.raise_any()
    return rating


@dataclass(frozen=True)
class Satisfaction:
    """Ratings added up: how many, each score's count (over every 心 answered), and each
    心's count and sum."""

    ratings: int = 0
    distribution: tuple[int, ...] = (0, 0, 0, 0, 0)  # how many 1s .. 5s
    by_heart: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # (answers, sum)

    @property
    def answers(self) -> int:
        return sum(self.distribution)

    @property
    def average(self) -> float | None:
        """The mean score over every answer (``None``: none yet)."""
        if not self.answers:
            return None
        return sum(s * n for s, n in zip(SCORES, self.distribution, strict=True)) / self.answers

    @property
    def satisfied_share(self) -> float | None:
        """满意率: the share of answers at :data:`SATISFIED` or above."""
        if not self.answers:
            return None
        return sum(n for s, n in zip(SCORES, self.distribution, strict=True) if s >= SATISFIED) / (
            self.answers
        )

    def heart_average(self, heart: str) -> float | None:
        count, total = self.by_heart.get(heart, (0, 0))
        return total / count if count else None

    def add(self, rating: Rating) -> Satisfaction:
        dist = list(self.distribution)
        hearts = dict(self.by_heart)
        for heart, score in rating.scores.items():
            dist[score - 1] += 1
            count, total = hearts.get(heart, (0, 0))
            hearts[heart] = (count + 1, total + score)
        return Satisfaction(self.ratings + 1, tuple(dist), hearts)

    def merge(self, other: Satisfaction) -> Satisfaction:
        hearts = dict(self.by_heart)
        for heart, (count, total) in other.by_heart.items():
            mine = hearts.get(heart, (0, 0))
            hearts[heart] = (mine[0] + count, mine[1] + total)
        return Satisfaction(
            self.ratings + other.ratings,
            tuple(a + b for a, b in zip(self.distribution, other.distribution, strict=True)),
            hearts,
        )


def satisfaction(ratings: Iterable[Rating]) -> Satisfaction:
    out = Satisfaction()
    for rating in ratings:
        out = out.add(rating)
    return out


def satisfaction_by(
    ratings: Iterable[Rating], projects: Iterable[Project], key: Callable[[Project], str]
) -> dict[str, Satisfaction]:
    """Satisfaction grouped by something of the rated project (its organisation's id, its
    kind); ratings of a project not known here count nowhere."""
    by_id = {p.id: p for p in projects}
    out: dict[str, Satisfaction] = {}
    for rating in ratings:
        project = by_id.get(rating.project_id)
        if project is None:
            continue
        group = key(project)
        out[group] = out.get(group, Satisfaction()).add(rating)
    return out


@dataclass(frozen=True)
class Burst:
    """More ratings from one source (one kiosk) on one day than :data:`BURST_PER_DAY`."""

    source: str
    device: str
    day: date
    ratings: int


def bursts(ratings: Iterable[Rating], per_day: int = BURST_PER_DAY) -> list[Burst]:
    """Days on which one kiosk gave more ratings than a village hall sees (typed sources are
    not counted: the secretary types a meeting's forms in one sitting)."""
    counts: dict[tuple[str, str, date], int] = {}
    for r in ratings:
        if r.source == "kiosk":
            key = (r.source, r.device, r.collected_on)
            counts[key] = counts.get(key, 0) + 1
    return sorted(
        (Burst(s, d, day, n) for (s, d, day), n in counts.items() if n > per_day),
        key=lambda b: (b.day, b.device),
    )


# -- the yearly review ------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectReview:
    project: Project
    totals: ServiceTotals
    satisfaction: Satisfaction


@dataclass(frozen=True)
class PostReview:
    post: Post
    holders: tuple[str, ...]  # who held it at some time in the year
    duties: int
    hours: float


@dataclass(frozen=True)
class YearReview:
    year: int
    projects: tuple[ProjectReview, ...]
    posts: tuple[PostReview, ...]
    pairing_services: ServiceTotals  # pairing activities outside projects

    @property
    def totals(self) -> ServiceTotals:
        out = self.pairing_services
        for p in self.projects:
            t = p.totals
            out = ServiceTotals(
                out.services + t.services,
                out.people_served + t.people_served,
                out.volunteers + t.volunteers,
                round(out.volunteer_hours + t.volunteer_hours, 1),
            )
        return out

    @property
    def satisfaction(self) -> Satisfaction:
        out = Satisfaction()
        for p in self.projects:
            out = out.merge(p.satisfaction)
        return out


def yearly_review(
    year: int,
    *,
    projects: Sequence[Project],
    logs: Sequence[ServiceLog],
    ratings: Sequence[Rating],
    posts: Sequence[Post],
    claims: Sequence[Claim],
    duties: Sequence[DutyLog],
) -> YearReview:
    """Each project active in ``year`` with its services and ratings of that year, and each
    post with its holders and duties of that year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    standing_logs = [log for log in effective(logs) if log.served_on.year == year]
    year_ratings = [r for r in ratings if r.collected_on.year == year]
    reviews = []
    for project in projects:
        if project.starts_on > last or (project.ends_on is not None and project.ends_on < first):
            continue
        reviews.append(
            ProjectReview(
                project,
                service_totals(log for log in standing_logs if log.project_id == project.id),
                satisfaction(r for r in year_ratings if r.project_id == project.id),
            )
        )
    standing_duties = [d for d in effective(duties) if d.done_on.year == year]
    post_reviews = []
    for post in posts:
        held = {
            c.holder
            for c in claims
            if c.post_id == post.id
            and c.since <= last
            and (c.ended_on is None or c.ended_on >= first)
        }
        mine = [d for d in standing_duties if d.post_id == post.id]
        post_reviews.append(
            PostReview(
                post,
                tuple(sorted(held)),
                len(mine),
                round(sum(d.hours for d in mine), 1),
            )
        )
    return YearReview(
        year,
        tuple(reviews),
        tuple(post_reviews),
        service_totals(log for log in standing_logs if log.pairing_id),
    )
