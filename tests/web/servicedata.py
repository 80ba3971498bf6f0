"""What the county sends a village of the service lists (resource copies, a project, a
pairing), written straight into the village's database as its pull would bring them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import sync
from village_app import repo
from village_app.domain.services import Need, NeedPerson, OrgRef, Pairing, Project, Resource
from village_app.repo.docs import services as sdocs
from village_app.repo.sealing import SealKey

COUNTY = repo.Actor("county-clerk")
CLINIC = OrgRef("service_org:330102:CLINIC", "仁和医院", "县卫健系统行业党委", "hospital")
LAW = OrgRef("service_org:330102:LAW", "青禾律师事务所", "县律师行业党委", "law_firm")
PERSON = NeedPerson("李桂英", "东坡组17号", "13912345678", "独居，腿脚不便")


@dataclass(frozen=True)
class Lists:
    clinic: str  # resource ids (the village's copies)
    legal: str
    project: str
    pairing: str


async def county_lists(db: sync.Database, village: str) -> Lists:
    resources = [
        Resource(
            CLINIC,
            "上门义诊",
            "charity",
            ("medical", "elderly"),
            ("elderly_alone", "disabled"),
            "上门",
            "每月一次",
            20,
        ),
        Resource(LAW, "法律咨询与矛盾调解", "mediation", ("poverty",), (), "村委会", "每季度一次"),
    ]
    ids = []
    for resource in resources:
        doc = sdocs.resource_to_doc(village, resource, COUNTY)
        await db.put(doc)
        ids.append(str(doc["_id"]))
    project = Project(
        "上门义诊", ids[0], CLINIC, "charity", dt.date(2026, 3, 1), schedule="每月一次"
    )
    project_doc = sdocs.project_to_doc(village, project, COUNTY)
    await db.put(project_doc)
    pairing = Pairing(LAW, dt.date(2026, 1, 1), "每季度一次", "普法讲座、矛盾调解")
    pairing_doc = sdocs.pairing_to_doc(village, pairing, COUNTY)
    await db.put(pairing_doc)
    return Lists(ids[0], ids[1], str(project_doc["_id"]), str(pairing_doc["_id"]))


async def a_need(db: sync.Database, village: str, key: SealKey, **fields: object) -> Need:
    store = repo.VillageStore(db, village, repo.Actor("secretary"), seal_key=key)
    need = Need(
        group="elderly_alone",
        summary="需要定期上门量血压",
        visited_on=dt.date(2026, 5, 20),
        categories=("medical",),
        kind="charity",
        visited_by="王党员",
        person=PERSON,
    )
    return await store.add_need(replace(need, **fields))  # type: ignore[arg-type]
