"""年度评议 as a ledger (issue 13): the yearly review of the village's service projects and
public-service posts, as an .xlsx download and a printable A4 page, as the other ledgers
are (:mod:`village_app.web.ledgers`).

One sheet per part: each project active in the year with its services, people served,
volunteer hours and its 五心 ratings (the average of each 心 asked, the overall average
and the share satisfied), then the pairings' own activities and the total; each post with
who held it in the year, its duties and hours. No villager is named: ratings are anonymous
and needs never appear; post holders are the party members and volunteers who claimed a
post, whom the kiosk shows too.
"""

from __future__ import annotations

from village_app import i18n, repo
from village_app.domain.services import Satisfaction, ServiceTotals, YearReview, vocab
from village_app.i18n import N_
from village_app.web.ledgers import LedgerWords, made_subtitle, village_name
from village_app.web.rendering.workbook import Column, Ledger, Sheet, Value


def _averages(s: Satisfaction) -> tuple[Value, ...]:
    hearts = tuple(
        round(avg, 1) if (avg := s.heart_average(k)) is not None else None for k in vocab.HEARTS
    )
    overall = round(s.average, 1) if s.average is not None else None
    share = round(s.satisfied_share * 100) if s.satisfied_share is not None else None
    return (s.ratings, *hearts, overall, share)


def _services(t: ServiceTotals) -> tuple[Value, ...]:
    return (t.services, t.people_served, t.volunteers, t.volunteer_hours)


def _projects_sheet(review: YearReview, words: LedgerWords) -> Sheet:
    rows: list[tuple[Value, ...]] = []
    for line in review.projects:
        p = line.project
        status = words(vocab.PROJECT_STATUSES.get(p.status, p.status))
        if p.ends_on is not None:
            ended = i18n.format_date(p.ends_on, words.locale)
            status = words.format(N_("%(status)s（%(date)s）"), status=status, date=ended)
        rows.append(
            (
                p.title,
                p.organisation.name,
                words.name(vocab.SERVICE_KINDS, p.kind),
                status,
                *_services(line.totals),
                *_averages(line.satisfaction),
            )
        )
    blank = (None,) * (len(vocab.HEARTS) + 3)
    if review.pairing_services.services:
        rows.append(
            (
                words(N_("结对共建活动（不属于服务项目）")),
                "",
                "",
                "",
                *_services(review.pairing_services),
                *blank,
            )
        )
    rows.append(
        (
            words(N_("合计")),
            "",
            "",
            "",
            *_services(review.totals),
            *_averages(review.satisfaction),
        )
    )
    group = words(N_("群众评议（五心）"))
    columns = (
        Column(words(N_("服务项目")), max_width=30),
        Column(words(N_("社会组织")), max_width=24),
        Column(words(N_("服务类别"))),
        Column(words(N_("状态"))),
        Column(words(N_("服务次数")), "number"),
        Column(words(N_("服务人次")), "number"),
        Column(words(N_("志愿者人次")), "number"),
        Column(words(N_("志愿时长（小时）")), "decimal"),
        Column(words(N_("评议份数")), "number", group=group),
        *(Column(words(name), "decimal", group=group) for name in vocab.HEARTS.values()),
        Column(words(N_("平均分")), "decimal", group=group),
        Column(words(N_("满意率（%）")), "number", group=group),
    )
    return Sheet(words(N_("服务项目")), columns, tuple(rows))


def _posts_sheet(review: YearReview, words: LedgerWords) -> Sheet:
    rows: list[tuple[Value, ...]] = [
        (
            words(line.post.name) if line.post.builtin else line.post.name,
            words(N_("、")).join(line.holders),
            line.duties,
            line.hours,
        )
        for line in review.posts
    ]
    rows.append(
        (
            words(N_("合计")),
            "",
            sum(line.duties for line in review.posts),
            round(sum(line.hours for line in review.posts), 1),
        )
    )
    columns = (
        Column(words(N_("岗位")), max_width=24),
        Column(words(N_("认领人")), max_width=36),
        Column(words(N_("履职次数")), "number"),
        Column(words(N_("履职时长（小时）")), "decimal"),
    )
    return Sheet(words(N_("公益岗位")), columns, tuple(rows))


async def review_ledger(store: repo.VillageStore, year: int, locale: str) -> Ledger:
    """The yearly review of ``year`` as a ledger of two sheets."""
    words = LedgerWords(locale)
    review = await store.year_review(year)
    village = await village_name(store)
    title = words.format(N_("%(year)s 年度社会服务评议表"), year=year)
    return Ledger(
        title=f"{village}{title}",
        subtitle=made_subtitle(words, []),
        sheets=(_projects_sheet(review, words), _posts_sheet(review, words)),
        filename=f"{village}{title}.xlsx",
        ascii_filename=f"services-review-{year}.xlsx",
        landscape=True,
    )
