"""The kiosk's service pages and its one write (issue 13): the demo village's projects, posts
and services delivered as their public twins show them, nothing of the needs; a villager's
rating kept in the kiosk's own ratings store (never in the public copy), CSRF-checked, once
per project per visit, offered again after the idle return to the home screen."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

import sync
from kiosk.kioskdata import demo_kiosk
from village_app.domain.services.public import check_kiosk_rating
from village_app.kiosk.pull import KioskFolder
from village_app.kiosk.ratings import inbox_url, ratings_path
from village_app.web import Settings, create_app
from village_app.web.kiosk.context import kiosk
from village_app.web.kiosk.services import NO_RATINGS, RATED, ProjectPage, ServicesPage
from village_app.web.kiosk.visits import Visits

KIOSK_ACCOUNT = "kiosk-hall.1"


@pytest.fixture(scope="module")
def kiosk_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("kiosk")
    with ThreadPoolExecutor(1) as pool:
        code = pool.submit(asyncio.run, demo_kiosk(folder)).result()
    # The address a `kiosk pull --from` keeps: the kiosk account's (nothing listens there).
    KioskFolder(folder).save_source(f"http://{KIOSK_ACCOUNT}:pw@127.0.0.1:9/village_{code}_public")
    return folder, code


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(kiosk_dir: tuple[Path, str], clock: Clock) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=kiosk_dir[0], mode="kiosk", kiosk_follow=False))
    with TestClient(app) as test_client:
        kiosk(app).visits = Visits(clock=clock)
        yield test_client


def _page(response: Any) -> Any:
    return response.context["page"]


def _ratings(folder: Path) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        db = await sync.open_database(str(ratings_path(folder)))
        try:
            rows = (await db.all_docs(include_docs=True))["rows"]
            return [r["doc"] for r in rows]
        finally:
            await db.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _running(client: TestClient) -> str:
    page: ServicesPage = _page(client.get("/services"))
    return next(p.id for p in page.projects if p.active)


def test_projects_posts_and_services_as_the_twins_show_them(client: TestClient) -> None:
    response = client.get("/services")
    page: ServicesPage = _page(response)
    assert page.total >= 1 and page.projects
    assert [p.active for p in page.projects] == sorted(
        (p.active for p in page.projects), reverse=True
    )
    soup = BeautifulSoup(response.text, "html.parser")
    assert len(soup.select("a.k-card")) == len(page.projects)
    one = page.projects[0]
    detail = client.get(f"/services/{one.id}")
    shown: ProjectPage = _page(detail)
    assert shown.project.organisation and shown.project.schedule
    rows = BeautifulSoup(detail.text, "html.parser").select("tr[data-service]")
    assert len(rows) == len(shown.services)
    posts = client.get("/posts")
    names = [p.name for p in _page(posts).posts]
    assert "政策法律宣传员" in names  # the six named posts, whether edited or not
    holders = [h.name for p in _page(posts).posts for h in p.holders]
    assert holders and all(h in posts.text for h in holders)
    assert client.get("/services/service_project:990101001001:nothing").status_code == 404


def test_a_rating_is_kept_once_per_visit_and_offered_again_after_the_idle_return(
    client: TestClient, kiosk_dir: tuple[Path, str], clock: Clock
) -> None:
    folder, code = kiosk_dir
    before = len(_ratings(folder))
    project = _running(client)
    form_page = client.get(f"/services/{project}")
    assert _page(form_page).closed is None
    soup = BeautifulSoup(form_page.text, "html.parser")
    form = soup.select_one("#rating-form")
    assert form is not None
    token = str(form.select_one("input[name=csrf_token]")["value"])  # type: ignore[index]
    radios = form.select("input[type=radio]")
    assert len(radios) == 25  # five 心, five scores each
    url = str(form["action"])
    # Nothing chosen: asked again, nothing kept.
    empty = client.post(url, data={"csrf_token": token})
    assert empty.status_code == 400 and _page(empty).error
    # Without the form's token: refused before it is read.
    assert client.post(url, data={"score_close": "5"}).status_code == 403
    sent = client.post(
        url,
        data={"csrf_token": token, "score_close": "5", "score_filial": "4", "score_x": "5"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    thanks = client.get(sent.headers["location"])
    assert _page(thanks).thanks and _page(thanks).closed == RATED
    assert BeautifulSoup(thanks.text, "html.parser").select_one("#rating-form") is None
    kept = _ratings(folder)
    assert len(kept) == before + 1
    doc = max(kept, key=lambda d: d["created_at"])
    assert doc["scores"] == {"close": 5, "filial": 4}
    assert doc["source"] == "kiosk" and doc["device"] == KIOSK_ACCOUNT
    assert check_kiosk_rating(doc, code, KIOSK_ACCOUNT) is None  # what its inbox accepts
    # Once per visit: again (a second tab, the back button) is refused and nothing kept.
    again = client.post(url, data={"csrf_token": token, "score_close": "1"})
    assert again.status_code == 409 and _page(again).closed == RATED
    # Going home by the button is the same visit.
    clock.now += 30
    client.get("/")
    assert _page(client.get(f"/services/{project}")).closed == RATED
    # The screen goes home by itself after two minutes untouched: a new visit.
    clock.now += 121
    client.get("/")
    assert _page(client.get(f"/services/{project}")).closed is None
    assert client.post(url, data={"csrf_token": token, "score_love": "3"}).status_code == 200
    assert len(_ratings(folder)) == before + 2
    # The public copy holds none of it: ratings live in a store of their own.
    assert ratings_path(folder) != KioskFolder(folder).store_path


def test_a_kiosk_without_an_account_offers_no_form(tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, demo_kiosk(tmp_path / "k")).result()
    app = create_app(Settings(data_dir=tmp_path / "k", mode="kiosk", kiosk_follow=False))
    with TestClient(app) as client:
        project = _running(client)
        page = client.get(f"/services/{project}")
        assert _page(page).closed == NO_RATINGS
        assert "rating-form" not in page.text


def test_the_inbox_is_beside_the_public_database() -> None:
    base = "https://kiosk.a:pw@county.example/cunyi/t1_village_990101001001_public"
    assert inbox_url(base) == (
        "https://kiosk.a:pw@county.example/cunyi/t1_kiosk_990101001001_kiosk%24a_ratings"
    )
    assert inbox_url("https://county.example/village_990101001001_public") is None
    assert inbox_url("https://k:pw@county.example/something_else") is None
