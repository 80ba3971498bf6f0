"""The dashboard's charts, as data for one SVG template (``county/_chart.html``): horizontal
bars, one row per township, stacked by category, each with its table of numbers beside it.
Drawn on the server; printable; no JavaScript."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from village_app.county.index import VillageFigures
from village_app.county.registry import Township
from village_app.domain.timeliness import Timeliness
from village_app.i18n import N_, Message


@dataclass(frozen=True)
class Series:
    key: str
    label: Message
    tone: int  # 0..5: the colour class of the bars (c0..c5), readable in grey print too


@dataclass(frozen=True)
class Chart:
    id: str
    title: str  # msgid
    note: str  # msgid: what the numbers count
    series: tuple[Series, ...]
    rows: tuple[tuple[str, tuple[int, ...]], ...]  # (township name, a value per series)
    #: What a row is (msgid): a township, or an organisation, a kind of service...
    row_label: str = N_("乡镇")
    #: Room for the rows' names left of the bars (SVG units): longer names need more.
    label_width: int = 120

    @property
    def widest(self) -> int:
        return max((sum(values) for _, values in self.rows), default=0) or 1

    def total(self, index: int) -> int:
        return sum(values[index] for _, values in self.rows)

    @property
    def empty(self) -> bool:
        return all(sum(values) == 0 for _, values in self.rows)


_STAGE_GROUPS = (
    ("early", N_("提议、商议"), ("proposal", "consultation", "council_proposal", "deliberation")),
    ("vote", N_("审议、表决"), ("review", "resolution", "council_vote", "council_resolution")),
    (
        "publication",
        N_("待公开"),
        ("resolution_publication", "result_publication", "council_publication"),
    ),
    ("completed", N_("已完成"), ("completed",)),
)

_TIMELINESS = (
    (Timeliness.ON_TIME, N_("按时公开")),
    (Timeliness.PENDING, N_("已决议，公开期限未到")),
    (Timeliness.LATE, N_("逾期公开")),
    (Timeliness.OVERDUE, N_("逾期未公开")),
)


def _stage_group(stage: str) -> str:
    for key, _, stages in _STAGE_GROUPS:
        if stage in stages:
            return key
    return "early"


def dashboard_charts(
    townships: Sequence[Township],
    figures: Mapping[str, Sequence[VillageFigures]],
    *,
    unsynced: Mapping[str, int],
    age_keys: Sequence[str],
    recency_keys: Sequence[str],
) -> list[Chart]:
    def rows(values: Callable[[str], Sequence[int]]) -> tuple[tuple[str, tuple[int, ...]], ...]:
        return tuple((t.name, tuple(values(t.code))) for t in townships)

    def stage_values(code: str) -> list[int]:
        counts = dict.fromkeys((k for k, _, _ in _STAGE_GROUPS), 0)
        for f in figures.get(code, ()):
            for stage, n in f.matters_by_stage.items():
                counts[_stage_group(stage)] += n
        return list(counts.values())

    def summed(
        code: str, read: Callable[[VillageFigures], Mapping[str, int]], keys: Sequence[str]
    ) -> list[int]:
        return [sum(read(f).get(k, 0) for f in figures.get(code, ())) for k in keys]

    def recency(code: str) -> list[int]:
        counts = dict.fromkeys(recency_keys, 0)
        for f in figures.get(code, ()):
            counts[f.sync_recency] = counts.get(f.sync_recency, 0) + 1
        counts["never"] = counts.get("never", 0) + unsynced.get(code, 0)
        return [counts[k] for k in recency_keys]

    return [
        Chart(
            "stages",
            N_("各乡镇事项所处阶段"),
            N_("事项数"),
            tuple(Series(k, Message(label), i) for i, (k, label, _) in enumerate(_STAGE_GROUPS)),
            rows(stage_values),
        ),
        Chart(
            "timeliness",
            N_("决议公开是否及时"),
            N_("已决议的事项数"),
            tuple(Series(str(k), Message(label), i) for i, (k, label) in enumerate(_TIMELINESS)),
            rows(lambda c: summed(c, lambda f: f.timeliness, [str(k) for k, _ in _TIMELINESS])),
        ),
        Chart(
            "reviews",
            N_("审核：已审与待审"),
            N_("事项数"),
            (Series("done", Message(N_("已审核")), 0), Series("pending", Message(N_("待审核")), 3)),
            rows(
                lambda c: [
                    sum(f.reviews_done for f in figures.get(c, ())),
                    sum(f.reviews_pending for f in figures.get(c, ())),
                ]
            ),
        ),
        Chart(
            "supervision",
            N_("未办结的监督事项（按已过天数）"),
            N_("监督事项数"),
            tuple(Series(k, _days_label(k), i) for i, k in enumerate(age_keys)),
            rows(lambda c: summed(c, lambda f: f.threads_by_age, age_keys)),
        ),
        Chart(
            "recency",
            N_("各村最近一次同步"),
            N_("村数"),
            tuple(Series(k, _days_label(k), i) for i, k in enumerate(recency_keys)),
            rows(recency),
        ),
    ]


def _days_label(key: str) -> Message:
    """A bucket of days (``≤30``, ``>180``) or ``never``, in words."""
    if key == "never":
        return Message(N_("从未同步"))
    if key.startswith("≤"):
        return Message(N_("%(days)s 天以内"), {"days": key[1:]})
    return Message(N_("超过 %(days)s 天"), {"days": key[1:]})
