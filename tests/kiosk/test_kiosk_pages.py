"""``serve --mode kiosk``: every route is open to anyone and a GET but one (a villager's rating,
tests/kiosk/test_kiosk_services.py), and the pages show what the kiosk's store holds (the demo
village's public twins)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from starlette.routing import Route
from starlette.testclient import TestClient

import sync
from kiosk.kioskdata import demo_kiosk
from village_app.domain.dates import now_utc, utc_stamp
from village_app.kiosk.pull import STATUS_ID, KioskFolder
from village_app.web import Settings, create_app
from village_app.web.kiosk.pages import PAGE_SIZE, HomePage, ListPage, MatterPage
from village_app.web.security.permissions import GuardedRoute, PublicMount, routes_without_access

#: Every route of the kiosk and whom it admits: anyone. A new route is added here on purpose.
KIOSK: dict[str, str] = {
    "health": "public",
    "kiosk_home": "public",
    "kiosk_resolutions": "public",
    "kiosk_results": "public",
    "kiosk_matter": "public",
    "kiosk_rosters": "public",
    "kiosk_roster": "public",
    "kiosk_rules": "public",
    "kiosk_standard": "public",
    "kiosk_board": "public",
    "kiosk_services": "public",
    "kiosk_service": "public",
    "kiosk_posts": "public",
    # The kiosk's one write: a villager's rating (CSRF-checked, once per project per visit).
    "kiosk_rate": "public",
}
#: The routes that take a POST (and nothing else).
POSTED = frozenset({"kiosk_rate"})


@pytest.fixture(scope="module")
def kiosk_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kiosk")
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, demo_kiosk(folder)).result()
    return folder


@pytest.fixture
def client(kiosk_dir: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=kiosk_dir, mode="kiosk", kiosk_follow=False))
    with TestClient(app) as test_client:
        yield test_client


def _set_contact(folder: Path, when: str | None) -> None:
    async def run() -> None:
        db = await sync.open_database(str(KioskFolder(folder).store_path))
        try:
            doc = await db.get_local(STATUS_ID)
            await db.put_local({**doc, "last_contact": when})
        finally:
            await db.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_every_route_is_a_public_get(client: TestClient) -> None:
    routes = client.app.routes  # type: ignore[attr-defined]
    assert routes_without_access(routes) == []
    named = {r.name: r.access.label for r in routes if isinstance(r, GuardedRoute)}
    assert named == KIOSK
    assert [r.name for r in routes if isinstance(r, PublicMount)] == ["static"]
    for r in routes:
        if isinstance(r, Route):
            allowed = {"POST"} if r.name in POSTED else {"GET", "HEAD"}
            assert r.methods is not None and r.methods <= allowed, r.name


def _ids(client: TestClient) -> dict[str, str]:
    home = client.get("/resolutions")
    soup = BeautifulSoup(home.text, "html.parser")
    link = soup.select_one("a.k-card")
    assert link is not None
    project = BeautifulSoup(client.get("/services").text, "html.parser").select_one("a.k-card")
    assert project is not None
    return {
        "matter_id": str(link["href"]).split("/")[-1].split("?")[0],
        "body": "residents_council",
        "project_id": str(project["data-project"]),
    }


def test_every_route_answers_anyone_and_refuses_every_write(client: TestClient) -> None:
    ids = _ids(client)
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, GuardedRoute):
            continue
        path = re.sub(r"{(\w+)(:\w+)?}", lambda m: ids[m.group(1)], route.path)
        if route.name in POSTED:
            assert client.get(path).status_code == 405, path
            # Without the form's token it is refused before anything is read or kept.
            assert client.post(path, data={"score_close": "5"}).status_code == 403, path
            continue
        assert client.get(path).status_code == 200, path
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            # Refused by the CSRF check (403) or, past it, by the route (405): never done.
            assert client.request(method, path).status_code in (403, 405), (method, path)
    assert client.get("/matters/matter:990101001001:nothing").status_code == 404
    assert client.get("/rosters/party_branch").status_code == 404  # not a public roster
    for path in ("/login", "/lang", "/matters"):
        assert client.post(path, data={"lang": "en"}).status_code in (403, 404, 405)


def test_the_home_screen(client: TestClient) -> None:
    response = client.get("/")
    page: HomePage = response.context["page"]  # type: ignore[attr-defined]
    assert [s.name for s in page.sections] == [
        "kiosk_resolutions",
        "kiosk_results",
        "kiosk_rosters",
        "kiosk_rules",
        "kiosk_standard",
        "kiosk_board",
        "kiosk_services",
        "kiosk_posts",
    ]
    assert page.frame.village_name == "杏林村" and page.frame.home and not page.frame.out_of_touch
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#home-button") is None  # home has no 返回首页
    assert soup.select_one("#out-of-touch") is None


def test_resolutions_newest_first_by_year_and_paged(client: TestClient) -> None:
    first: ListPage = client.get("/resolutions").context["page"]  # type: ignore[attr-defined]
    assert first.total > PAGE_SIZE and first.pages == -(-first.total // PAGE_SIZE)
    dates = [m.sort_key for g in first.groups for m in g.matters]
    assert dates == sorted(dates, reverse=True)
    assert first.previous_url is None and first.next_url is not None
    second: ListPage = client.get(first.next_url).context["page"]  # type: ignore[attr-defined]
    assert second.page == 2 and second.previous_url is not None
    year = first.years[-1]
    only: ListPage = client.get(f"/resolutions?year={year}").context["page"]  # type: ignore[attr-defined]
    assert only.year == year and all(m.year == year for g in only.groups for m in g.matters)
    results: ListPage = client.get("/results").context["page"]  # type: ignore[attr-defined]
    assert results.total and all(m.result for g in results.groups for m in g.matters)


def test_a_resolution_with_its_stages_and_no_names(client: TestClient) -> None:
    ids = _ids(client)
    response = client.get(f"/matters/{ids['matter_id']}")
    page: MatterPage = response.context["page"]  # type: ignore[attr-defined]
    assert page.matter.stages and page.matter.resolution is not None
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#home-button") is not None and soup.select_one("#back-button")
    assert len(soup.select(".k-step")) == len(page.matter.stages)


def test_it_says_when_it_lost_touch_with_the_county(client: TestClient, kiosk_dir: Path) -> None:
    try:
        _set_contact(kiosk_dir, utc_stamp(now_utc() - timedelta(days=8)))
        soup = BeautifulSoup(client.get("/rules").text, "html.parser")
        warning = soup.select_one("#out-of-touch")
        assert warning is not None and "超过一周" in warning.text
        _set_contact(kiosk_dir, utc_stamp(now_utc() - timedelta(days=6)))
        assert (
            BeautifulSoup(client.get("/rules").text, "html.parser").select_one("#out-of-touch")
            is None
        )
        _set_contact(kiosk_dir, None)
        soup = BeautifulSoup(client.get("/").text, "html.parser")
        warning = soup.select_one("#out-of-touch")
        assert warning is not None and "还没有" in warning.text
    finally:
        _set_contact(kiosk_dir, utc_stamp())


def test_a_kiosk_before_its_first_pull(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, mode="kiosk", kiosk_follow=False))
    with TestClient(app) as client:
        for path in ("/", "/resolutions", "/results", "/rosters", "/rules", "/standard", "/board"):
            response = client.get(path)
            assert response.status_code == 200, path
        soup = BeautifulSoup(client.get("/").text, "html.parser")
        assert soup.select_one("#nothing-yet") is not None
        assert soup.select_one("#out-of-touch") is not None


def test_every_page_links_only_to_itself(client: TestClient) -> None:
    """No external requests: every src and href of every page is on the kiosk itself."""
    ids = _ids(client)
    paths = ["/", "/resolutions", "/results", f"/matters/{ids['matter_id']}", "/rosters"]
    paths += ["/rosters/residents_council", "/rules", "/standard", "/board"]
    for path in paths:
        soup = BeautifulSoup(client.get(path).text, "html.parser")
        refs: list[Any] = [t.get("src") for t in soup.select("[src]")]
        refs += [t.get("href") for t in soup.select("[href]")]
        assert refs and all(str(r).startswith(("/", "?")) for r in refs), (path, refs)
