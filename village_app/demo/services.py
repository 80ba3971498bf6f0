"""The demo's service lists (issue 13), for 青禾县: social organisations under their party
committees with their resource lists (the county's), and for a village its needs from home
visits (the persons sealed with the data folder's key), the projects and the pairing the
county made of them, the services delivered, the ratings collected on paper, and the
public-service posts with their holders and duty logs. Fictional organisations and people,
drawn from ``Random(seed)``: the same arguments make the same documents.

The organisations and resources have fixed ids, so a village's copies (made here for a demo
laptop, or sent by ``county demo``) and the county's master list agree.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any, Final

from sync.couch_server import CouchServer
from village_app.county.registry import Registry
from village_app.county.services_db import CountyServices, FanOut
from village_app.domain import SHANGHAI
from village_app.domain.services import (
    Claim,
    DutyLog,
    Need,
    NeedPerson,
    Organisation,
    Pairing,
    Project,
    Rating,
    Resource,
    ServiceLog,
    builtin_posts,
    make_project,
    suggest,
)
from village_app.domain.services.vocab import HEART_OF_GROUP
from village_app.repo.actor import Actor
from village_app.repo.docs import services as sdocs
from village_app.repo.sealing import SealKey

Doc = dict[str, Any]
COUNTY: Final = "990101"
#: The last day the demo's records are dated.
UNTIL: Final = date(2026, 11, 30)

_SECTORS = {
    "zh": "县社会组织综合党委",
    "law": "县律师行业党委",
    "health": "县卫健系统行业党委",
    "edu": "县教育系统行业党委",
}

ORGANISATIONS: Final = (
    Organisation(
        "青禾县众诚律师事务所",
        "law_firm",
        _SECTORS["law"],
        "赵律师",
        "0739-5201101",
        id=f"service_org:{COUNTY}:ORG01",
    ),
    Organisation(
        "青禾仁和医院",
        "hospital",
        _SECTORS["health"],
        "孙院长",
        "0739-5202202",
        id=f"service_org:{COUNTY}:ORG02",
    ),
    Organisation(
        "青禾县第一中学",
        "school",
        _SECTORS["edu"],
        "钱老师",
        "0739-5203303",
        id=f"service_org:{COUNTY}:ORG03",
    ),
    Organisation(
        "青禾县红枫志愿服务队",
        "volunteers",
        _SECTORS["zh"],
        "李队长",
        "13807391234",
        id=f"service_org:{COUNTY}:ORG04",
    ),
    Organisation(
        "青禾县家电维修协会",
        "association",
        _SECTORS["zh"],
        "周会长",
        "13907395678",
        id=f"service_org:{COUNTY}:ORG05",
    ),
    Organisation(
        "东溪镇夕阳红文艺队",
        "volunteers",
        _SECTORS["zh"],
        "吴队长",
        "13707392468",
        id=f"service_org:{COUNTY}:ORG06",
    ),
)
_ORG = {o.id.rsplit(":", 1)[-1]: o.ref for o in ORGANISATIONS}


def _r(
    key: str,
    org: str,
    title: str,
    kind: str,
    cats: tuple[str, ...],
    groups: tuple[str, ...],
    place: str,
    freq: str,
    cap: int,
    towns: tuple[str, ...] = (),
) -> Resource:
    return Resource(
        _ORG[org],
        title,
        kind,
        cats,
        groups,
        place,
        freq,
        cap,
        towns,
        id=f"service_resource:{COUNTY}:{key}",
    )


RESOURCES: Final = (
    _r("RES01", "ORG01", "法律咨询与法治讲座", "values", (), (), "村委会", "每季度一次", 60),
    _r(
        "RES02",
        "ORG01",
        "矛盾纠纷与征拆纠纷调解",
        "mediation",
        ("poverty",),
        (),
        "村委会或上门",
        "随叫随到",
        0,
    ),
    _r(
        "RES03",
        "ORG01",
        "困难群众法律援助",
        "mediation",
        ("poverty", "disability"),
        ("hardship", "disabled", "migrant_workers"),
        "上门",
        "每月一次",
        10,
    ),
    _r(
        "RES04",
        "ORG02",
        "上门义诊与慢病随访",
        "charity",
        ("medical", "elderly"),
        ("elderly_alone", "disabled", "hardship"),
        "上门",
        "每月一次",
        20,
    ),
    _r(
        "RES05",
        "ORG02",
        "残疾人康复指导",
        "life_skills",
        ("disability", "medical"),
        ("disabled",),
        "上门",
        "每两周一次",
        8,
    ),
    _r(
        "RES06",
        "ORG03",
        "留守儿童课业辅导",
        "charity",
        ("education", "orphans"),
        ("left_behind_children",),
        "村文化礼堂",
        "每周六",
        30,
    ),
    _r(
        "RES07",
        "ORG03",
        "寒门学子助学金",
        "charity",
        ("education", "poverty"),
        ("left_behind_children", "hardship"),
        "学校",
        "每学期一次",
        15,
    ),
    _r(
        "RES08",
        "ORG04",
        "空巢老人助餐与陪护",
        "life_skills",
        ("elderly",),
        ("elderly_alone",),
        "上门",
        "每周两次",
        25,
        ("001", "002"),
    ),
    _r(
        "RES09",
        "ORG04",
        "留守儿童亲情陪伴",
        "life_skills",
        ("orphans", "education"),
        ("left_behind_children",),
        "上门或村文化礼堂",
        "每周一次",
        20,
    ),
    _r(
        "RES10",
        "ORG05",
        "家电和水电义务维修",
        "life_skills",
        ("elderly", "poverty"),
        ("elderly_alone", "hardship", "disabled"),
        "上门",
        "每月一次",
        15,
    ),
    _r(
        "RES11",
        "ORG06",
        "送戏下乡文艺演出",
        "culture_sports",
        (),
        (),
        "村广场",
        "每季度一次",
        0,
        ("001", "003"),
    ),
    _r(
        "RES12",
        "ORG04",
        "外来务工人员政策宣讲与就业咨询",
        "values",
        ("poverty",),
        ("migrant_workers",),
        "村委会",
        "每季度一次",
        50,
    ),
)

#: Needs as found on home visits: (group, categories, kind, what is needed).
_NEEDS = (
    ("elderly_alone", ("elderly", "medical"), "charity", "独居，高血压，需要定期上门量血压、送药"),
    ("elderly_alone", ("elderly",), "life_skills", "行动不便，做饭困难，希望有人送餐"),
    (
        "elderly_alone",
        ("elderly", "poverty"),
        "life_skills",
        "家里电线老化、热水器坏了，需要上门维修",
    ),
    ("left_behind_children", ("education",), "charity", "父母在外打工，数学跟不上，需要课业辅导"),
    ("left_behind_children", ("orphans",), "life_skills", "跟爷爷奶奶生活，周末没人陪伴"),
    ("hardship", ("poverty", "education"), "charity", "家庭困难，孩子上高中学费有困难"),
    ("disabled", ("disability", "medical"), "life_skills", "肢体残疾，需要康复训练指导"),
    ("disabled", ("disability",), "mediation", "残疾补贴被拖欠，需要法律帮助"),
    ("migrant_workers", ("poverty",), "values", "刚来村里务工，不了解社保和子女入学政策"),
    ("residents", (), "mediation", "与邻居因宅基地边界发生纠纷"),
)
_SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
_GIVEN = (
    "桂英",
    "秀兰",
    "建国",
    "志强",
    "春花",
    "德明",
    "小雨",
    "子涵",
    "国庆",
    "玉梅",
    "明亮",
    "思远",
)
_HAMLETS = ("一组", "二组", "三组", "四组", "五组", "六组")
#: How well each organisation serves, on average (their ratings centre on it).
_QUALITY = {"ORG01": 4.5, "ORG02": 4.6, "ORG03": 4.3, "ORG04": 4.7, "ORG05": 3.7, "ORG06": 4.2}


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)


def _score(rng: Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.8))))


def resource_copies(code: str, township: str, clerk: str) -> list[Doc]:
    """The county's list as it reaches a village (what ``county demo`` sends, too)."""
    clock = _Clock(_noon(date(2026, 1, 5)))
    actor = Actor(clerk, clock)
    out = []
    for resource in RESOURCES:
        if resource.covers(township):
            suffix = resource.id.rsplit(":", 1)[-1]
            docid = f"service_resource:{code}:{suffix}"
            out.append(sdocs.resource_to_doc(code, replace(resource, id=docid), actor, docid=docid))
    return out


def village_service_docs(
    code: str,
    *,
    key: SealKey,
    secretary: str,
    clerk: str,
    seed: int | str = 0,
    until: date = UNTIL,
) -> list[Doc]:
    """One village's service documents (its own and those the county wrote into its database),
    oldest first. ``key`` seals the persons the needs name."""
    rng = Random(f"services:{seed}:{code}")
    township = code[6:9]
    clock = _Clock(_noon(until - timedelta(days=330)))
    village = Actor(secretary, clock, rng)
    county = Actor(clerk, clock, rng)
    out = resource_copies(code, township, clerk)
    resources = [sdocs.resource_from_doc(d) for d in out]

    # Needs from home visits.
    needs: list[Need] = []
    for n in range(rng.randrange(5, 9)):
        group, cats, kind, summary = rng.choice(_NEEDS)
        clock.now = _noon(until - timedelta(days=320 - n * 20))
        person = NeedPerson(
            rng.choice(_SURNAMES) + rng.choice(_GIVEN),
            f"{rng.choice(_HAMLETS)}{rng.randrange(1, 60)}号",
            f"13{rng.randrange(100000000, 999999999)}",
            "",
        )
        need = Need(
            group, summary, clock.now.date(), cats, kind, 1, "村党支部 走访组", person=person
        )
        doc = sdocs.need_to_doc(code, need, village, key)
        out.append(doc)
        needs.append(replace(need, id=str(doc["_id"])))

    # The county matches most of them: one project per resource, with the needs it fits best.
    by_resource: dict[str, list[Need]] = {}
    for need in needs:
        best = suggest(need, resources, township)
        if best and rng.random() < 0.75:
            by_resource.setdefault(best[0].resource.id, []).append(need)
    projects: list[Project] = []
    for resource_id, matched in by_resource.items():
        resource = next(r for r in resources if r.id == resource_id)
        starts = max(n.visited_on for n in matched) + timedelta(days=rng.randrange(7, 25))
        if starts >= until:
            continue
        clock.now = _noon(starts - timedelta(days=3))
        project = make_project(matched, resource, township=township, starts_on=starts)
        doc = sdocs.project_to_doc(code, project, county)
        out.append(doc)
        projects.append(replace(project, id=str(doc["_id"])))

    # One organisation paired with the village since the start of the year.
    partner = rng.choice(ORGANISATIONS)
    clock.now = _noon(date(until.year, 1, 10))
    pairing_doc = sdocs.pairing_to_doc(
        code,
        Pairing(partner.ref, date(until.year, 1, 15), "每季度一次", "党建联建、普法宣传、节日慰问"),
        county,
    )
    out.append(pairing_doc)

    # Services delivered, about monthly; the villagers' ratings collected on paper.
    logs: list[tuple[date, Doc]] = []
    for project in projects:
        day = project.starts_on
        while day < until:
            volunteers = rng.randrange(2, 7)
            log = ServiceLog(
                day,
                project.title,
                rng.randrange(max(1, len(project.need_ids)), 30),
                volunteers,
                round(volunteers * rng.uniform(1.5, 3.0), 1),
                project_id=project.id,
            )
            clock.now = _noon(day) + timedelta(hours=6)
            logs.append((day, sdocs.service_log_to_doc(code, log, village)))
            if day == project.starts_on and project is projects[0] and log.people_served > 1:
                # The first service was typed with one person twice: corrected the next day.
                first = logs[-1][1]
                clock.now = _noon(day) + timedelta(days=1, hours=2)
                fix = replace(
                    log,
                    people_served=log.people_served - 1,
                    corrects=str(first["_id"]),
                    reason="签到表上重复登记了一人",
                )
                logs.append((day, sdocs.service_log_to_doc(code, fix, village)))
            day += timedelta(days=rng.randrange(25, 40))
        hearts = {HEART_OF_GROUP.get(g, "close") for g in _groups(project, needs)} | {"close"}
        mean = _QUALITY[project.organisation.id.rsplit(":", 1)[-1]]
        for _ in range(rng.randrange(6, 15)):
            day = project.starts_on + timedelta(days=rng.randrange(20, 120))
            if day >= until:
                continue
            scores = {h: _score(rng, mean) for h in sorted(hearts) if rng.random() < 0.9}
            if not scores:
                continue
            clock.now = _noon(day) + timedelta(hours=7)
            logs.append((day, sdocs.rating_to_doc(code, Rating(project.id, scores, day), village)))
    day = date(until.year, 2, 20)
    while day < until:
        clock.now = _noon(day) + timedelta(hours=5)
        log = ServiceLog(
            day, "结对共建活动", rng.randrange(20, 60), 3, 9.0, pairing_id=str(pairing_doc["_id"])
        )
        logs.append((day, sdocs.service_log_to_doc(code, log, village)))
        day += timedelta(days=91)

    # The six named posts, held by party members and volunteers, and their duties.
    since = date(until.year, 1, 1)
    clock.now = _noon(since)
    for post in builtin_posts(code):
        for n in range(rng.randrange(1, 3)):
            holder = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
            kind = "party_member" if n == 0 else "volunteer"
            out.append(sdocs.claim_to_doc(code, Claim(post.id, holder, kind, since), village))
            day = since + timedelta(days=rng.randrange(3, 20))
            while day < until:
                clock.now = _noon(day) + timedelta(hours=8)
                duty = DutyLog(
                    post.id, holder, day, post.duties.split("，")[0], round(rng.uniform(1, 4), 1)
                )
                logs.append((day, sdocs.duty_log_to_doc(code, duty, village)))
                day += timedelta(days=rng.randrange(20, 45))
    out.extend(doc for _, doc in sorted(logs, key=lambda pair: (pair[0], str(pair[1]["_id"]))))
    return out


def _groups(project: Project, needs: list[Need]) -> set[str]:
    wanted = set(project.need_ids)
    return {n.group for n in needs if n.id in wanted}


async def load_services_demo(
    db: Any, code: str, folder: Path, *, secretary: str, clerk: str
) -> None:
    """Add the service lists to a demo laptop's database (the persons sealed with the key of
    ``folder``, the data folder: made now if it has none)."""
    await db.bulk_docs(
        village_service_docs(
            code, key=SealKey.load_or_create(folder), secretary=secretary, clerk=clerk
        )
    )


async def load_county_services(server: CouchServer, registry: Registry, prefix: str = "") -> FanOut:
    """The county's organisations and master resource list, sent to every village (copies
    the villages hold already are left as they are). ``county demo`` runs it."""
    clerk = next((s.name for s in registry.staff if s.role == "county_reviewer"), "county")
    actor = Actor(clerk, lambda: _noon(date(2026, 1, 5)))
    services = CountyServices(server, registry, prefix)
    known = {o.id for o in await services.organisations()}
    for org in ORGANISATIONS:
        if org.id not in known:
            await services.save_organisation(org, actor)
    existing = {r.id: r for r in await services.resources()}
    total = FanOut()
    for resource in RESOURCES:
        if resource.id in existing:
            sent = await services.fan_out(existing[resource.id], actor)
        else:
            _, sent = await services.save_resource(resource, actor)
        total.written += sent.written
        total.withdrawn += sent.withdrawn
        total.unchanged += sent.unchanged
        total.failed.update(sent.failed)
    return total
