"""The service lists' charts (issue 13), on the dashboard's machinery (:mod:`.charts`): by
township, projects, services delivered, people served, volunteer hours and needs matched or
waiting; and satisfaction, as the count of each score, by organisation and by kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from village_app.county.registry import Township
from village_app.county.services_index import ServiceFigures
from village_app.domain.services import Satisfaction
from village_app.domain.services.vocab import SCORE_NAMES
from village_app.i18n import N_, Message
from village_app.web.county.charts import Chart, Series

#: Scores from the best down, each with its tone (green for 5 ... red for 1).
_SCORES = ((5, 0), (4, 1), (3, 5), (2, 2), (1, 3))


def township_charts(
    townships: Sequence[Township], figures: Mapping[str, Sequence[ServiceFigures]]
) -> list[Chart]:
    def rows(
        values: Callable[[Sequence[ServiceFigures]], Sequence[int]],
    ) -> tuple[tuple[str, tuple[int, ...]], ...]:
        return tuple((t.name, tuple(values(figures.get(t.code, ())))) for t in townships)

    def total(
        read: Callable[[ServiceFigures], float],
    ) -> Callable[[Sequence[ServiceFigures]], list[int]]:
        return lambda found: [round(sum(read(f) for f in found))]

    return [
        Chart(
            "svc-projects",
            N_("各乡镇服务项目"),
            N_("项目数"),
            (
                Series("active", Message(N_("进行中")), 0),
                Series("ended", Message(N_("已结束")), 5),
            ),
            rows(
                lambda found: [
                    sum(f.projects_active for f in found),
                    sum(f.projects_ended for f in found),
                ]
            ),
        ),
        Chart(
            "svc-services",
            N_("服务次数"),
            N_("本年度记录的服务次数"),
            (Series("services", Message(N_("服务次数")), 1),),
            rows(total(lambda f: f.services)),
        ),
        Chart(
            "svc-people",
            N_("服务人次"),
            N_("本年度服务的人次"),
            (Series("people", Message(N_("服务人次")), 0),),
            rows(total(lambda f: f.people)),
        ),
        Chart(
            "svc-hours",
            N_("志愿服务时长"),
            N_("本年度志愿服务小时数（取整）"),
            (Series("hours", Message(N_("志愿服务时长（小时）")), 4),),
            rows(total(lambda f: f.hours)),
        ),
        Chart(
            "svc-needs",
            N_("需求对接情况"),
            N_("需求数（各村入户走访记录）"),
            (
                Series("matched", Message(N_("已对接")), 0),
                Series("waiting", Message(N_("待对接")), 3),
                Series("closed", Message(N_("已关闭")), 5),
            ),
            rows(
                lambda found: [
                    sum(f.needs_matched for f in found),
                    sum(f.needs_waiting for f in found),
                    sum(f.needs_closed for f in found),
                ]
            ),
        ),
    ]


def satisfaction_chart(
    chart_id: str, title: str, row_label: str, groups: Sequence[tuple[str, Satisfaction]]
) -> Chart:
    """One row per group (an organisation, a kind of service: its name as shown), stacked by
    how many answers gave each score."""
    return Chart(
        chart_id,
        title,
        N_("评分次数（每份评议每一项“心”算一次）"),
        tuple(Series(str(score), Message(SCORE_NAMES[score]), tone) for score, tone in _SCORES),
        tuple(
            (name, tuple(s.distribution[score - 1] for score, _ in _SCORES)) for name, s in groups
        ),
        row_label=row_label,
        # About 14 units a character at the labels' 13 px, within what a phone still shows.
        label_width=min(240, max(120, 16 + 14 * max((len(n) for n, _ in groups), default=0))),
    )
