"""The service lists end to end through the real peer (issue 13): a need recorded on a
village's laptop reaches the county (sealed); the county registers an organisation and its
resource list (sent to every village it covers), matches the need into a service project on
its pages; the laptop's pull brings the project; the service delivered and a paper rating go
back to the county, whose figures count them, and so does a villager's rating at the kiosk. The person the need names is never readable
on the county's CouchDB, in its index, or on its pages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from starlette.testclient import TestClient
from web.helpers import attr, csrf_of, soup
from web.servicedata import PERSON

import sync
from county.provisioned import PASSWORD, County, provision
from sync.couch_server import CouchServer
from village_app import repo
from village_app.county.indexer import CountyIndexer
from village_app.county.services_db import CountyServices
from village_app.domain.services import Need, Organisation, Rating, Resource, ServiceLog
from village_app.kiosk.ratings import RatingBox, push
from village_app.repo.sealing import SealKey
from village_app.web import Settings, create_app

pytestmark = pytest.mark.peer


@dataclass
class Flow:
    county: County
    laptop: Path
    key: SealKey
    index: Path
    need: Need


def _secretary_url(county: County, code: str) -> str:
    name = county.accounts["secretary_a"]
    return county.base.replace("://", f"://{name}:{PASSWORD}@", 1) + "/" + county.db(code)


async def _laptop(flow: Flow) -> repo.VillageStore:
    db = await sync.open_database(str(flow.laptop))
    return repo.VillageStore(
        db,
        flow.county.village_a,
        repo.Actor(flow.county.accounts["secretary_a"]),
        seal_key=flow.key,
    )


async def _index(flow: Flow) -> None:
    async with CountyIndexer(
        flow.county.url, flow.index, prefix=flow.county.prefix + "village_"
    ) as indexer:
        await indexer.run_once()


@pytest.fixture
async def flow(couch_url: str, peer_cleanup: PeerCleanup, tmp_path: Path) -> AsyncIterator[Flow]:
    async for county in provision(couch_url, peer_cleanup):
        key = SealKey.load_or_create(tmp_path / "laptop")
        laptop = tmp_path / "laptop" / f"{county.village_a}.sqlite"
        db = await sync.open_database(str(laptop))
        store = repo.VillageStore(
            db, county.village_a, repo.Actor(county.accounts["secretary_a"]), seal_key=key
        )
        try:
            need = await store.add_need(
                Need(
                    group="elderly_alone",
                    summary="需要每周上门量血压、送药",
                    visited_on=date(2026, 5, 20),
                    categories=("medical", "elderly"),
                    kind="charity",
                    visited_by="王党员",
                    person=PERSON,
                )
            )
            # The secretary's own account pushes: CouchDB's rules accept the need.
            pushed = await sync.replicate(db, _secretary_url(county, county.village_a))
            assert not pushed.denied and pushed.error is None
        finally:
            await db.close()
        yield Flow(county, laptop, key, tmp_path / "index", need)


def _client(flow: Flow, tmp_path: Path) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "county-data",
        mode="county",
        couch_url=flow.county.url,
        registry=flow.county.registry,
        index_dir=flow.index,
        follow_index=False,
        db_prefix=flow.county.prefix,
    )
    return TestClient(create_app(settings), base_url="http://testserver")


def _log_in(client: TestClient, name: str) -> None:
    token = csrf_of(client, "/login")
    answer = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303


async def _county_db_text(flow: Flow, code: str) -> str:
    """Every document of a village's database on the county's CouchDB, as JSON text."""
    async with CouchServer(flow.county.url) as server:
        db = await server.database(flow.county.db(code), create=False)
        try:
            rows = await db.all_docs(include_docs=True)
        finally:
            await db.close()
    return json.dumps(rows, ensure_ascii=False)


def test_a_need_a_match_and_a_service_go_round_the_county(flow: Flow, tmp_path: Path) -> None:
    county = flow.county
    a, b = county.village_a, county.village_b

    # 1. The county keeps an organisation and its resource list; the entry covers every
    #    township, so both villages' databases get a copy.
    async def lists() -> str:
        async with CouchServer(county.url) as server:
            services = CountyServices(server, county.registry, county.prefix)
            clerk = repo.Actor(county.accounts["county"])
            org = await services.save_organisation(
                Organisation("仁和医院", "hospital", "县卫健系统行业党委", "张院长"), clerk
            )
            resource, sent = await services.save_resource(
                Resource(
                    org.ref,
                    "上门义诊",
                    "charity",
                    ("medical", "elderly"),
                    ("elderly_alone",),
                    "上门",
                    "每月一次",
                    20,
                ),
                clerk,
            )
            assert sorted(sent.written) == sorted([a, b]) and sent.ok
            # Sending it again changes nothing.
            again = await services.fan_out(resource, clerk)
            assert again.unchanged == 2 and not again.written
            return resource.id

    master_id = asyncio.run(lists())
    asyncio.run(_index(flow))

    # 2. On the county's pages the need waits, without the person; a clerk matches it.
    with _client(flow, tmp_path) as client:
        _log_in(client, county.accounts["township_a"])
        page = client.get("/services/needs")
        assert page.status_code == 200
        for clear in (PERSON.name, PERSON.address, PERSON.phone, PERSON.notes):
            assert clear not in page.text
        group = soup(page).select_one(f"section[data-village='{a}']")
        assert group is not None
        assert group.select_one(f"[data-need='{flow.need.id}']") is not None
        form = group.select_one("form")
        assert form is not None
        options = [attr(o, "value") for o in form.select("select[name=resource_id] option")]
        assert master_id in options
        hidden = {attr(i, "name"): attr(i, "value") for i in form.select("input[type=hidden]")}
        made = client.post(
            attr(form, "action"),
            data={
                **hidden,
                "need_ids": flow.need.id,
                "resource_id": master_id,
                "starts_on": "2026-06-01",
                "schedule": "每月第一个周六",
            },
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text
        shown = soup(client.get(made.headers["location"]))
        project_row = shown.select_one("#projects tr[data-project]")
        assert project_row is not None and "上门义诊" in project_row.get_text()
        project_id = attr(project_row, "data-project")
        # A township reviewer may not keep the county's organisations.
        refused = client.post(
            "/services/organisations",
            data={"csrf_token": csrf_of(client, "/services"), "name": "x", "sector": "y"},
        )
        assert refused.status_code == 403

    # 3. The laptop pulls: the resource list and the project arrive; the need still opens.
    async def pull_and_serve() -> None:
        store = await _laptop(flow)
        try:
            pulled = await sync.replicate(_secretary_url(county, a), store.db)
            assert not pulled.denied and pulled.error is None
            [resource] = await store.list_resources()
            assert resource.title == "上门义诊" and resource.organisation.name == "仁和医院"
            [project] = await store.list_projects()
            assert project.id == project_id and project.need_ids == (flow.need.id,)
            assert project.schedule == "每月第一个周六"
            need = await store.get_need(flow.need.id)
            assert need.person == PERSON
            # 4. The service delivered and a paper rating go back.
            await store.add_service_log(
                ServiceLog(date(2026, 6, 6), "上门测血压、送药", 12, 3, 9.0, project_id=project.id)
            )
            await store.add_rating(
                Rating(project.id, {"filial": 5, "close": 4}, date(2026, 6, 6), source="paper")
            )
            pushed = await sync.replicate(store.db, _secretary_url(county, a))
            assert not pushed.denied and pushed.error is None
        finally:
            await store.db.close()

    asyncio.run(pull_and_serve())
    asyncio.run(_index(flow))

    # 5. The county's figures count them; the need is matched; nobody's name anywhere.
    with _client(flow, tmp_path) as client:
        _log_in(client, county.accounts["county"])
        dashboard = client.get("/services?year=2026")
        assert dashboard.status_code == 200
        html = soup(dashboard)

        def cells(chart: str) -> dict[str, list[str]]:
            return {
                tr.select_one("th").get_text(strip=True): [  # type: ignore[union-attr]
                    td.get_text(strip=True) for td in tr.select("td")
                ]
                for tr in html.select(f"#chart-{chart} tbody tr")
            }

        assert cells("svc-services")["甲镇"] == ["1"]
        assert cells("svc-people")["甲镇"] == ["12"]
        assert cells("svc-hours")["甲镇"] == ["9"]
        assert cells("svc-needs")["甲镇"] == ["1", "0", "0"]
        assert cells("svc-projects")["甲镇"] == ["1", "0"]
        # Satisfaction by organisation: one rating answering two 心 (a 5 and a 4).
        assert cells("svc-satisfaction-org")["仁和医院"] == ["1", "1", "0", "0", "0"]
        org_row = html.select_one("#satisfaction-by-org tr[data-org='仁和医院']")
        assert org_row is not None and "4.5" in org_row.get_text()
        assert client.get("/services/needs").text.count("data-need=") == 0
        for path in ("/services", "/services/needs", f"/services/villages/{a}"):
            text = client.get(path).text
            assert PERSON.name not in text and PERSON.phone not in text, path

    # 6. A villager rates the project at the kiosk in the village hall: the rating goes to
    #    the kiosk's inbox, the indexer merges it, and the dashboard counts it beside the
    #    paper one (the kiosk never held the village's credentials).
    async def kiosk_rates() -> int:
        box = await RatingBox.open(tmp_path / "kiosk", a, county.accounts["kiosk_a"])
        try:
            await box.record(project_id, {"filial": 4, "close": 4}, date(2026, 6, 7))
            name = county.accounts["kiosk_a"]
            scheme, rest = county.base.split("://", 1)
            return await push(box.db, f"{scheme}://{name}:{PASSWORD}@{rest}/{county.public_db(a)}")
        finally:
            await box.close()

    assert asyncio.run(kiosk_rates()) == 1
    asyncio.run(_index(flow))
    with _client(flow, tmp_path) as client:
        _log_in(client, county.accounts["county"])
        html = soup(client.get("/services?year=2026"))
        org_row = html.select_one("#satisfaction-by-org tr[data-org='仁和医院']")
        assert org_row is not None
        overall = html.select_one("#satisfaction-overall")
        assert overall is not None and "共 2 份评议" in overall.get_text()

    stored = asyncio.run(_county_db_text(flow, a))
    assert "需要每周上门量血压" in stored  # the need is there: the check can fail
    for clear in (PERSON.name, PERSON.address, PERSON.phone, PERSON.notes):
        assert clear not in stored
    index_bytes = b"".join(p.read_bytes() for p in flow.index.rglob("*") if p.is_file())
    assert "需要每周上门量血压".encode() in index_bytes
    assert PERSON.name.encode() not in index_bytes and PERSON.phone.encode() not in index_bytes
