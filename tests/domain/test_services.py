"""The service lists as pure rules: matching needs to resources into projects, pairing,
services and duties, 五心 ratings and the yearly review (issue 13)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from village_app.domain import Invalid, ValidationError
from village_app.domain.services import (
    Claim,
    DutyLog,
    MatchRefused,
    Need,
    NeedPerson,
    Organisation,
    OrgRef,
    Pairing,
    Post,
    Project,
    Rating,
    Resource,
    ServiceLog,
    builtin_posts,
    bursts,
    by_sector,
    effective,
    holders,
    make_project,
    match_score,
    posts_of,
    satisfaction,
    satisfaction_by,
    service_totals,
    suggest,
    unmatched,
    validate_claim,
    validate_duty_log,
    validate_need,
    validate_organisation,
    validate_pairing,
    validate_post,
    validate_rating,
    validate_resource,
    validate_service_log,
    yearly_review,
)

V = "430999101001"
LAW = OrgRef("service_org:430999:LAW", "青禾律师事务所", "县律师行业党委", "law_firm")
CLINIC = OrgRef("service_org:430999:CLINIC", "仁和医院", "县卫健系统行业党委", "hospital")


def _resource(**kw: object) -> Resource:
    base: dict[str, object] = {
        "organisation": CLINIC,
        "title": "上门义诊",
        "kind": "charity",
        "categories": ("medical", "elderly"),
        "groups": ("elderly_alone", "disabled"),
        "frequency": "每月一次",
        "id": f"service_resource:{V}:R1",
    }
    return Resource(**{**base, **kw})  # type: ignore[arg-type]


def _need(**kw: object) -> Need:
    base: dict[str, object] = {
        "group": "elderly_alone",
        "summary": "行动不便，需要定期上门量血压",
        "visited_on": date(2026, 3, 1),
        "categories": ("medical",),
        "kind": "charity",
        "visited_by": "王党员",
        "id": f"service_need:{V}:N1",
    }
    return Need(**{**base, **kw})  # type: ignore[arg-type]


def test_an_organisation_needs_a_name_a_sector_and_a_known_kind() -> None:
    with pytest.raises(Invalid) as caught:
        validate_organisation(Organisation("", "bank", ""))
    assert {e.field for e in caught.value.errors} == {"name", "sector", "kind"}
    ok = validate_organisation(Organisation(" 青禾律师事务所 ", "law_firm", "县律师行业党委"))
    assert ok.name == "青禾律师事务所"


def test_organisations_are_grouped_under_their_party_committee() -> None:
    orgs = [
        Organisation("乙队", "volunteers", "县社会组织综合党委"),
        Organisation("甲所", "law_firm", "县律师行业党委"),
        Organisation("甲队", "volunteers", "县社会组织综合党委"),
    ]
    grouped = by_sector(orgs)
    assert [(s, [o.name for o in os]) for s, os in grouped] == [
        ("县律师行业党委", ["甲所"]),
        ("县社会组织综合党委", ["乙队", "甲队"]),
    ]


def test_a_resource_says_what_for_whom_how_often_and_for_how_many() -> None:
    with pytest.raises(Invalid) as caught:
        validate_resource(_resource(title="", kind="magic", frequency="", capacity=-1))
    assert {e.field for e in caught.value.errors} == {"title", "kind", "frequency", "capacity"}
    with pytest.raises(ValidationError) as one:
        validate_resource(_resource(townships=("1",)))
    assert one.value.field == "townships"
    ok = validate_resource(_resource(categories=("elderly", "medical", "elderly")))
    assert ok.categories == ("elderly", "medical")  # the vocabulary's order, once each


def test_a_need_is_written_without_names_and_its_person_is_checked_apart() -> None:
    with pytest.raises(Invalid) as caught:
        validate_need(_need(group="", summary="", people=0, person=NeedPerson("")))
    assert {e.field for e in caught.value.errors} == {"group", "summary", "people", "person_name"}
    assert validate_need(_need(person=NeedPerson("李奶奶"))).heart == "filial"
    assert _need(group="left_behind_children").heart == "love"
    assert _need(group="migrant_workers").heart == "ease"


def test_matching_scores_kind_categories_and_group_and_refuses_what_cannot_serve() -> None:
    need = _need()
    fit = match_score(need, _resource(), "101")
    assert fit is not None and fit.score == 3 + 2 + 2
    assert fit.reasons == ("kind", "category:medical", "group")
    # withdrawn, another township, another group: cannot serve at all
    assert match_score(need, _resource(active=False), "101") is None
    assert match_score(need, _resource(townships=("102",)), "101") is None
    assert match_score(need, _resource(townships=("101", "102")), "101") is not None
    assert match_score(need, _resource(groups=("left_behind_children",)), "101") is None
    # nothing in common
    assert match_score(need, _resource(kind="mediation", categories=(), groups=()), "101") is None


def test_suggestions_come_best_first() -> None:
    legal = _resource(
        id="service_resource:x:L",
        organisation=LAW,
        title="法律咨询",
        kind="mediation",
        categories=("elderly",),
        groups=(),
    )
    weaker = _resource(id="service_resource:x:W", title="助老送餐", categories=("elderly",))
    found = suggest(_need(categories=("medical", "elderly")), [legal, weaker, _resource()], "101")
    assert [s.resource.title for s in found] == ["上门义诊", "助老送餐", "法律咨询"]


def test_a_project_matches_open_needs_of_one_village_to_a_resource() -> None:
    needs = [_need(), _need(id=f"service_need:{V}:N2", categories=("elderly",))]
    project = make_project(needs, _resource(), township="101", starts_on=date(2026, 4, 1))
    assert project.title == "上门义诊" and project.schedule == "每月一次"
    assert project.need_ids == (f"service_need:{V}:N1", f"service_need:{V}:N2")
    assert project.categories == ("elderly", "medical")
    assert project.organisation == CLINIC and project.kind == "charity"

    with pytest.raises(Invalid) as caught:
        make_project([], _resource(active=False), township="101", starts_on=date(2026, 4, 1))
    assert all(isinstance(e, MatchRefused) for e in caught.value.errors)
    with pytest.raises(MatchRefused) as closed:
        make_project([_need(closed=True)], _resource(), township="101", starts_on=date(2026, 4, 1))
    assert closed.value.ids == (f"service_need:{V}:N1",)
    with pytest.raises(MatchRefused):
        make_project(
            [_need()], _resource(townships=("102",)), township="101", starts_on=date(2026, 4, 1)
        )


def test_unmatched_needs_are_the_open_ones_no_project_serves() -> None:
    n1, n2, n3 = _need(), _need(id="service_need:x:N2"), _need(id="service_need:x:N3", closed=True)
    project = make_project([n1], _resource(), township="101", starts_on=date(2026, 4, 1))
    assert unmatched([n1, n2, n3], [project]) == [n2]
    assert unmatched([n1, n2, n3], []) == [n1, n2]


def test_an_organisation_is_paired_with_a_village_once_at_a_time() -> None:
    first = Pairing(LAW, date(2026, 1, 1), "每月一次", id="service_pairing:x:1")
    with pytest.raises(ValidationError) as twice:
        validate_pairing(Pairing(LAW, date(2026, 2, 1), "每季度一次"), [first])
    assert twice.value.field == "organisation"
    ended = Pairing(LAW, date(2025, 1, 1), "每月", ended_on=date(2025, 12, 31), id="p0")
    assert validate_pairing(Pairing(LAW, date(2026, 2, 1), "每季度"), [ended]).active
    with pytest.raises(ValidationError):
        validate_pairing(Pairing(LAW, date(2026, 2, 1), "每月", ended_on=date(2026, 1, 1)))


def test_a_service_log_names_a_project_or_a_pairing_and_counts_what_was_done() -> None:
    log = ServiceLog(date(2026, 4, 5), "义诊 20 人次", 20, 4, 12.345, project_id="p1")
    assert validate_service_log(log).volunteer_hours == 12.3
    with pytest.raises(Invalid) as caught:
        validate_service_log(ServiceLog(date(2026, 4, 5), "", -1, volunteer_hours=-2))
    assert {e.field for e in caught.value.errors} == {
        "project_id",
        "what",
        "people_served",
        "volunteer_hours",
    }
    with pytest.raises(ValidationError) as no_reason:
        validate_service_log(replace_log(log, corrects="service_log:x:1"))
    assert no_reason.value.field == "reason"


def replace_log(log: ServiceLog, **kw: object) -> ServiceLog:
    from dataclasses import replace

    return replace(log, **kw)  # type: ignore[arg-type]


def test_a_correction_replaces_the_entry_it_corrects_in_the_totals() -> None:
    a = ServiceLog(date(2026, 4, 5), "义诊", 20, 4, 8.0, project_id="p", id="l1")
    b = ServiceLog(date(2026, 5, 5), "义诊", 15, 3, 6.0, project_id="p", id="l2")
    fixed = ServiceLog(
        date(2026, 4, 5), "义诊", 12, 4, 8.0, project_id="p", id="l3", corrects="l1", reason="多记"
    )
    assert effective([a, b, fixed]) == [b, fixed]
    totals = service_totals([a, b, fixed])
    assert (totals.services, totals.people_served, totals.volunteer_hours) == (2, 27, 14.0)


def test_the_six_named_posts_and_the_villages_own() -> None:
    named = builtin_posts(V)
    assert [p.name for p in named] == [
        "政策法律宣传员",
        "文明创建示范员",
        "环境保护督导员",
        "矛盾纠纷调解员",
        "治安义务巡防员",
        "文体活动组织员",
    ]
    own = Post("护林员", "巡山防火", id=f"service_post:{V}:X", created_at="2026-01-01T00:00:00Z")
    edited = Post("政策宣传员", key="policy_law", id=f"service_post:{V}:policy_law")
    retired = Post("旧岗位", id=f"service_post:{V}:Y", retired=True)
    posts = posts_of(V, [own, edited, retired])
    assert posts[0].name == "政策宣传员"
    assert [p.name for p in posts][-1] == "护林员" and len(posts) == 7
    with pytest.raises(ValidationError):
        validate_post(Post("护林员"), posts)


def test_a_post_is_claimed_once_by_a_person_and_duties_need_a_holder_on_the_day() -> None:
    post = builtin_posts(V)[4]
    claim = Claim(post.id, "赵巡防", "volunteer", date(2026, 1, 1), id="c1")
    with pytest.raises(ValidationError) as twice:
        validate_claim(Claim(post.id, "赵巡防", "volunteer", date(2026, 2, 1)), [claim])
    assert twice.value.field == "holder"
    with pytest.raises(ValidationError):
        validate_claim(Claim(post.id, "钱", "boss", date(2026, 2, 1)))
    assert holders(post, [claim], date(2026, 3, 1)) == [claim]
    duty = DutyLog(post.id, "赵巡防", date(2026, 3, 1), "夜间巡逻", 2.5)
    assert validate_duty_log(duty, [claim]).hours == 2.5
    with pytest.raises(ValidationError) as before:
        validate_duty_log(DutyLog(post.id, "赵巡防", date(2025, 12, 1), "巡逻"), [claim])
    assert before.value.field == "holder"
    with pytest.raises(ValidationError):
        validate_duty_log(DutyLog(post.id, "孙某", date(2026, 3, 1), "巡逻"), [claim])


def test_a_rating_scores_the_hearts_it_answers_from_one_to_five() -> None:
    ok = validate_rating(Rating("p1", {"filial": 5, "close": 4}, date(2026, 5, 1)))
    assert ok.average == 4.5
    with pytest.raises(ValidationError) as empty:
        validate_rating(Rating("p1", {}, date(2026, 5, 1)))
    assert empty.value.field == "scores"
    with pytest.raises(Invalid) as caught:
        validate_rating(Rating("p1", {"filial": 6, "love": 0}, date(2026, 5, 1), source="x"))
    assert {e.field for e in caught.value.errors} == {"source", "score_filial", "score_love"}
    with pytest.raises(ValidationError):
        validate_rating(Rating("p1", {"joy": 3}, date(2026, 5, 1)))
    with pytest.raises(ValidationError):
        validate_rating(Rating("p1", {"filial": True}, date(2026, 5, 1)))


def test_satisfaction_adds_answers_up_by_heart_and_overall() -> None:
    ratings = [
        Rating("p1", {"filial": 5, "close": 4}, date(2026, 5, 1)),
        Rating("p1", {"filial": 3}, date(2026, 5, 1)),
        Rating("p2", {"love": 2}, date(2026, 5, 1)),
    ]
    s = satisfaction(ratings)
    assert s.ratings == 3 and s.answers == 4
    assert s.distribution == (0, 1, 1, 1, 1)
    assert s.average == pytest.approx(3.5)
    assert s.satisfied_share == pytest.approx(0.5)
    assert s.heart_average("filial") == 4 and s.heart_average("warm") is None
    assert satisfaction([]).average is None
    projects = [
        Project("义诊", "r", CLINIC, "charity", date(2026, 1, 1), id="p1"),
        Project("法律", "r", LAW, "mediation", date(2026, 1, 1), id="p2"),
    ]
    by_org = satisfaction_by(ratings, projects, lambda p: p.organisation.id)
    assert by_org[CLINIC.id].average == 4 and by_org[LAW.id].average == 2
    by_kind = satisfaction_by(ratings, projects, lambda p: p.kind)
    assert set(by_kind) == {"charity", "mediation"}
    assert s.merge(satisfaction(ratings)).answers == 8


def test_a_flood_of_ratings_from_one_kiosk_shows_as_a_burst() -> None:
    day = date(2026, 5, 1)
    flood = [Rating("p1", {"close": 5}, day, source="kiosk", device="k1") for _ in range(31)]
    calm = [Rating("p1", {"close": 5}, day, source="kiosk", device="k2") for _ in range(30)]
    typed = [Rating("p1", {"close": 5}, day, source="paper") for _ in range(100)]
    found = bursts(flood + calm + typed)
    assert [(b.device, b.ratings) for b in found] == [("k1", 31)]


def test_the_yearly_review_of_projects_and_posts() -> None:
    p1 = Project("义诊", "r", CLINIC, "charity", date(2025, 6, 1), id="p1")
    p_old = Project(
        "旧", "r", LAW, "mediation", date(2024, 1, 1), ends_on=date(2024, 12, 31), id="p0"
    )
    logs = [
        ServiceLog(date(2026, 3, 1), "义诊", 10, 2, 4.0, project_id="p1", id="l1"),
        ServiceLog(date(2025, 12, 1), "义诊", 99, 2, 4.0, project_id="p1", id="l0"),
        ServiceLog(date(2026, 4, 1), "共建", 30, 5, 10.0, pairing_id="pair", id="l2"),
    ]
    ratings = [
        Rating("p1", {"filial": 5}, date(2026, 3, 1)),
        Rating("p1", {"filial": 1}, date(2025, 3, 1)),
    ]
    post = builtin_posts(V)[0]
    claims = [Claim(post.id, "李宣传", "party_member", date(2025, 1, 1))]
    duties = [
        DutyLog(post.id, "李宣传", date(2026, 2, 1), "宣讲", 2.0, id="d1"),
        DutyLog(post.id, "李宣传", date(2025, 2, 1), "宣讲", 2.0, id="d0"),
    ]
    review = yearly_review(
        2026,
        projects=[p1, p_old],
        logs=logs,
        ratings=ratings,
        posts=[post],
        claims=claims,
        duties=duties,
    )
    assert [r.project.id for r in review.projects] == ["p1"]
    assert review.projects[0].totals.people_served == 10
    assert review.projects[0].satisfaction.average == 5
    assert review.pairing_services.people_served == 30
    assert review.totals.services == 2 and review.totals.volunteer_hours == 14.0
    assert review.posts[0].holders == ("李宣传",) and review.posts[0].duties == 1
    assert review.satisfaction.ratings == 1


def test_what_the_kiosk_may_show_and_the_rating_it_writes() -> None:
    from village_app.domain.services.public import (
        kiosk_rating,
        public_claim,
        public_post,
        public_project,
        public_service_log,
    )

    project = Project("义诊", "r", CLINIC, "charity", date(2026, 1, 1), need_ids=("n1",), id="p1")
    shown = public_project(project)
    assert "need_ids" not in shown and "n1" not in str(shown)
    assert shown["organisation"] == "仁和医院"
    post = builtin_posts(V)[0]
    claim = Claim(post.id, "李宣传", "party_member", date(2026, 1, 1))
    assert public_post(post) == {"name": post.name, "duties": post.duties, "key": post.key}
    assert public_post(replace(post, retired=True)) is None
    assert public_claim(claim) == {
        "post_id": post.id,
        "holder": "李宣传",
        "holder_kind": "party_member",
        "since": "2026-01-01",
        "ended_on": None,
    }
    log = ServiceLog(
        date(2026, 3, 1), "义诊", 12, 3, 6.0, project_id="p1", place="王家", reason="x"
    )
    shown_log = public_service_log(log)
    assert set(shown_log) == {"project_id", "served_on", "what", "people_served", "corrects"}
    assert "王家" not in str(shown_log)
    rating = kiosk_rating("p1", {"close": 5}, date(2026, 3, 1), " hall-1 ")
    assert rating.source == "kiosk" and rating.device == "hall-1"
    with pytest.raises(ValidationError):
        kiosk_rating("p1", {"close": 5}, date(2026, 3, 1), "")
    with pytest.raises(ValidationError):
        kiosk_rating("p1", {"close": 9}, date(2026, 3, 1), "hall-1")
