"""社会服务 in county mode, in Chromium (issue 13): a county clerk reads the figures, matches a
village's need to a service into a project, registers an organisation and sends its resource
list to the villages; at 1366x768 and on a 390-pixel phone, with screenshots. The county is
real: provisioned on the peer, a laptop's need pushed by its secretary, ``village-app serve
--mode county`` indexing it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from couchpeer import PeerCleanup
from county.provisioned import PASSWORD, County, provision, registry_toml
from playwright.sync_api import Page, expect
from web.servicedata import PERSON

import sync
from browser.helpers import fits, follow
from sync.couch_server import CouchServer
from village_app import repo
from village_app.county.services_db import CountyServices
from village_app.demo.county import village_docs
from village_app.demo.services import ORGANISATIONS, RESOURCES, village_service_docs
from village_app.domain.services import Need
from village_app.repo.sealing import SealKey

from .conftest import serving

pytestmark = [pytest.mark.browser, pytest.mark.peer]
NEED = "需要每周上门量血压、送药"


class _CountyThread(threading.Thread):
    """Provisions the county on its own event loop and holds it while the tests run."""

    def __init__(self, couch_url: str, cleanup: PeerCleanup, folder: Path) -> None:
        super().__init__(daemon=True)
        self.couch_url, self.cleanup, self.folder = couch_url, cleanup, folder
        self.ready, self.stop = threading.Event(), threading.Event()
        self.county: County | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        # The demo organisations belong to 青禾县 (990101).
        async for county in provision(self.couch_url, self.cleanup, county_code="990101"):
            a, b = county.village_a, county.village_b
            secretary = county.accounts["secretary_a"]
            laptop = await sync.open_database(str(self.folder / f"{a}.sqlite"))
            try:
                store = repo.VillageStore(
                    laptop, a, repo.Actor(secretary), seal_key=SealKey.load_or_create(self.folder)
                )
                await store.add_need(
                    Need(
                        "elderly_alone",
                        NEED,
                        date(2026, 5, 20),
                        ("medical", "elderly"),
                        "charity",
                        visited_by="王党员",
                        person=PERSON,
                    )
                )
                url = county.base.replace("://", f"://{secretary}:{PASSWORD}@", 1)
                await sync.replicate(laptop, f"{url}/{county.db(a)}")
            finally:
                await laptop.close()
            async with CouchServer(county.url) as server:
                services = CountyServices(server, county.registry, county.prefix)
                clerk = repo.Actor(county.accounts["county"])
                for org in ORGANISATIONS[:4]:
                    await services.save_organisation(org, clerk)
                for resource in RESOURCES[:7]:
                    await services.save_resource(resource, clerk)
            # Village B: months of records and services, for the figures.
            other = await sync.open_database(f"{county.url}/{county.db(b)}")
            try:
                await other.bulk_docs(
                    village_docs(b, matters=3, name="乙村")
                    + village_service_docs(
                        b, key=SealKey.generate(), secretary="secretary", clerk="county"
                    )
                )
            finally:
                await other.close()
            self.county = county
            self.ready.set()
            await asyncio.to_thread(self.stop.wait)


@pytest.fixture(scope="module")
def county(
    couch_url: str, peer_cleanup: PeerCleanup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[County]:
    holder = _CountyThread(couch_url, peer_cleanup, tmp_path_factory.mktemp("county-svc"))
    holder.start()
    holder.ready.wait(180)
    if holder.error is not None:
        raise holder.error
    assert holder.county is not None
    try:
        yield holder.county
    finally:
        holder.stop.set()
        holder.join(60)


@pytest.fixture(scope="module")
def server(county: County, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("county-svc-serve")
    registry = folder / "county.toml"
    registry.write_text(registry_toml(county.registry), encoding="utf-8")
    arguments = ["--mode", "county", "--couch", county.url, "--registry", str(registry)]
    arguments += ["--data", str(folder / "data"), "--db-prefix", county.prefix]
    with serving(arguments, folder) as url:
        yield url


def _log_in(page: Page, county: County, *, width: int, height: int = 844) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/login")
    page.fill('input[name="username"]', county.accounts["county"])
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    expect(page.locator("h1")).to_contain_text("各村议事记录")


def _wait_for_need(page: Page) -> None:
    """The app indexes the county as it starts: reload until the village's need shows."""
    for _ in range(150):
        page.goto("/services/needs")
        if page.locator("[data-need]").count():
            return
        time.sleep(0.2)
    raise AssertionError("the county index never showed the village's need")


def test_a_clerk_matches_a_need_into_a_project(page: Page, county: County, shots: Path) -> None:
    _log_in(page, county, width=1366, height=768)
    _wait_for_need(page)
    group = page.locator(f"section[data-village='{county.village_a}']")
    expect(group).to_contain_text(NEED)
    expect(page.locator("main")).not_to_contain_text(PERSON.name)
    page.screenshot(path=shots / "county-services-needs-1366.png", full_page=True)
    group.locator("label.check", has_text=NEED).click()
    group.locator("select[name=resource_id]").select_option(
        label="上门义诊与慢病随访 · 青禾仁和医院"
    )
    group.locator("input[name=schedule]").fill("每月第一个周六")
    group.locator("button[type=submit]").click()
    saved = page.locator("#projects tr.just-saved")
    expect(saved).to_contain_text("上门义诊与慢病随访")
    expect(page.locator("#needs")).to_contain_text("已对接")
    page.screenshot(path=shots / "county-services-village-1366.png", full_page=True)


def test_the_figures_and_the_lists(page: Page, county: County, shots: Path) -> None:
    _log_in(page, county, width=1366, height=768)
    page.click("nav >> text=社会服务")
    expect(page.locator("h1")).to_contain_text("社会服务统计")
    for _ in range(100):  # village B's services, once indexed
        if page.locator("#satisfaction-by-org tr").count():
            break
        time.sleep(0.2)
        page.reload()
    expect(page.locator("#chart-svc-services")).to_be_visible()
    expect(page.locator("#chart-svc-satisfaction-org")).to_be_visible()
    page.screenshot(path=shots / "county-services-dashboard-1366.png", full_page=True)
    page.click(".service-tabs >> text=社会组织与资源清单")
    form = page.locator("#org-form")
    form.locator("input[name=name]").fill("青禾县巾帼志愿服务队")
    form.locator("input[name=sector]").fill("县社会组织综合党委")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("青禾县巾帼志愿服务队")
    resource = page.locator("#resource-form")
    resource.locator("input[name=title]").fill("妇女儿童心理疏导")
    resource.locator("select[name=kind]").select_option("life_skills")
    resource.locator(".checks-row label", has_text="留守儿童").click()
    resource.locator("button[type=submit]").click()
    expect(page.locator("#sent")).to_contain_text("已发往 2 个村")
    expect(page.locator("#resources .card")).to_contain_text("妇女儿童心理疏导")
    page.screenshot(path=shots / "county-services-org-1366.png", full_page=True)
    page.goto("/services/organisations")
    page.screenshot(path=shots / "county-services-orgs-1366.png", full_page=True)


def test_every_county_service_page_fits_a_phone(page: Page, county: County, shots: Path) -> None:
    _log_in(page, county, width=390)
    for path, name in (
        ("/services", "dashboard"),
        ("/services/needs", "needs"),
        ("/services/organisations", "orgs"),
        (f"/services/villages/{county.village_b}", "village"),
    ):
        page.goto(path)
        fits(page)
        page.screenshot(path=shots / f"county-services-{name}-390.png", full_page=True)
    page.goto("/services/organisations")
    follow(page, page.locator("tr[data-org] a").first)
    fits(page)
    page.screenshot(path=shots / "county-services-org-390.png", full_page=True)
