"""The county's pages over a real county: provisioned on the peer, a village's laptop pushed
to it, the indexer run, then the app in county mode with staff signing in through CouchDB's
``_session``. A township reviewer finds the village, reviews a matter and returns it; the
review is in the village's database on the server, where the laptop's next pull gets it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import Tag
from couchpeer import PeerCleanup
from starlette.testclient import TestClient
from web.helpers import PASSWORD as LOGIN_PASSWORD
from web.helpers import USERNAME, VILLAGE, attr, csrf_of, log_in, soup
from web.villagedata import at, small_village, store, through_consultation

import sync
from county.provisioned import PASSWORD, County, provision
from sync.couch_server import CouchServer
from village_app import accounts
from village_app.county.indexer import CountyIndexer
from village_app.domain import Attendance, Matter, StageRecord, Vote
from village_app.web import Settings, create_app

pytestmark = pytest.mark.peer


@dataclass
class Setup:
    county: County
    laptop: Path
    index: Path
    matter: Matter


async def resolved_matter(db: sync.Database) -> Matter:
    """A major matter through its resolution (stage 4): the county reviews it."""
    matter = await through_consultation(db)
    for stage, body, day, attendance, vote in (
        ("review", "party_members", 8, Attendance(30, 24), Vote(20, 2, 2)),
        ("resolution", "representatives", 12, Attendance(30, 21), Vote(18, 2, 1)),
    ):
        record = StageRecord(
            matter=matter.id,
            stage=stage,
            body=body,
            held_at=at(day),
            place="村委会议室",
            attendance=attendance,
            vote=vote,
            content=f"{stage} 内容",
            township_staff=("青山镇 王干部",),
        )
        await store(db).append_stage_record(matter.id, record)
    return matter


@pytest.fixture
async def setup(couch_url: str, peer_cleanup: PeerCleanup, tmp_path: Path) -> AsyncIterator[Setup]:
    async for county in provision(couch_url, peer_cleanup, county_code=VILLAGE[:6]):
        assert county.village_a == VILLAGE
        laptop = tmp_path / f"{VILLAGE}.sqlite"
        db = await sync.open_database(str(laptop))
        try:
            await small_village(db)
            matter = await resolved_matter(db)
            pushed = await sync.replicate(db, f"{county.url}/{county.db(VILLAGE)}")
            assert pushed.counters.docs_written > 10 and not pushed.denied
        finally:
            await db.close()
        index = tmp_path / "index"
        async with CountyIndexer(county.url, index, prefix=county.prefix + "village_") as indexer:
            await indexer.run_once()
        yield Setup(county, laptop, index, matter)


def _client(setup: Setup, tmp_path: Path) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "county-data",
        mode="county",
        couch_url=setup.county.url,
        registry=setup.county.registry,
        index_dir=setup.index,
        follow_index=False,
        db_prefix=setup.county.prefix,
    )
    return TestClient(create_app(settings), base_url="http://testserver")


def _log_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    token = csrf_of(client, "/login")
    answer = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    return answer.status_code


def test_a_township_reviewer_returns_a_matter_with_a_comment(setup: Setup, tmp_path: Path) -> None:
    with _client(setup, tmp_path) as client:
        assert _log_in(client, setup.county.accounts["township_a"]) == 303
        home = soup(client.get("/"))
        rows = {tr["data-village"]: tr for tr in home.select("tr[data-village]")}
        # Township 001's village only: township 002's is not shown to exist.
        assert list(rows) == [VILLAGE]
        assert _text(rows[VILLAGE].select_one("td.pending")) == "1"
        assert client.get(f"/villages/{setup.county.village_b}").status_code == 404

        queue = soup(client.get("/queue"))
        link = queue.select_one(f"tr[data-matter='{setup.matter.id}'] a")
        assert link is not None
        page = client.get(attr(link, "href"))
        assert page.status_code == 200
        checks = {
            attr(li, "data-check") + ":" + str(li.get("data-stage", "")): li["class"]
            for li in soup(page).select("li[data-check]")
        }
        assert "pass" in checks["quorum:resolution"] and "pass" in checks["majority:resolution"]
        # No scan of the signed sheet was added to any meeting: the check says so.
        assert "fail" in checks["signed_sheet:resolution"]

        form = soup(page).select_one("#review-form")
        assert form is not None
        data = {attr(i, "name"): attr(i, "value") for i in form.select("input[type=hidden]")}
        action = attr(form, "action")
        # Returned without a reason: refused, what was typed is kept.
        refused = client.post(action, data={**data, "decision": "returned"})
        assert refused.status_code == 422
        assert "退回时请写明原因" in refused.text
        done = client.post(
            action,
            data={**data, "decision": "returned", "stage_comment_resolution": "第4阶段缺签到表"},
            follow_redirects=False,
        )
        assert done.status_code == 303 and "saved=review" in done.headers["location"]
        shown = soup(client.get(done.headers["location"]))
        review = shown.select_one("#reviews li.review")
        assert review is not None and review["data-decision"] == "returned"
        assert "第4阶段缺签到表" in review.get_text()
        assert shown.select_one("#review-saved") is not None
        # The same form sent again (a double click) writes nothing more.
        client.post(
            action,
            data={**data, "decision": "returned", "stage_comment_resolution": "第4阶段缺签到表"},
        )
        assert len(soup(client.get(done.headers["location"])).select("#reviews li.review")) == 1

    # The laptop's next pull brings the review; its matter page and overview say it.
    asyncio.run(_pull(setup))
    laptop = Settings(data_dir=setup.laptop.parent, village=VILLAGE)
    with TestClient(create_app(laptop), base_url="http://testserver") as field:
        assert log_in(field).status_code == 303
        overview = soup(field.get("/"))
        returned = overview.select_one(f"#county-returned li[data-matter='{setup.matter.id}']")
        assert returned is not None and "第4阶段缺签到表" in returned.get_text()
        matter_page = soup(field.get(f"/matters/{setup.matter.id}"))
        banner = matter_page.select_one("#county-returned")
        assert banner is not None and "第4阶段缺签到表" in banner.get_text()
        assert matter_page.select("#county-reviews li[data-decision='returned']")


async def _pull(setup: Setup) -> None:
    db = await sync.open_database(str(setup.laptop))
    try:
        await accounts.add_user(db, USERNAME, LOGIN_PASSWORD, village=VILLAGE)
        secretary = setup.county.accounts["secretary_a"]
        source = setup.county.base.replace("://", f"://{secretary}:{PASSWORD}@", 1)
        pulled = await sync.replicate(f"{source}/{setup.county.db(VILLAGE)}", db)
        assert not pulled.denied and pulled.error is None
        reviews = await db.find({"type": "review"})
        assert len(reviews["docs"]) == 1
    finally:
        await db.close()


def test_secretaries_and_kiosks_cannot_sign_in_to_the_county(setup: Setup, tmp_path: Path) -> None:
    with _client(setup, tmp_path) as client:
        assert _log_in(client, setup.county.accounts["secretary_a"]) == 403
        assert _log_in(client, setup.county.accounts["kiosk_a"]) == 403
        assert _log_in(client, setup.county.accounts["county"], "wrong") == 400
        assert client.get("/", follow_redirects=False).status_code in (302, 303)
        assert _log_in(client, setup.county.accounts["county"]) == 303
        home = soup(client.get("/"))
        assert {tr["data-village"] for tr in home.select("tr[data-village]")} == {
            setup.county.village_a,
            setup.county.village_b,
        }
        # Village B never synced: it stands out.
        b = home.select_one(f"tr[data-village='{setup.county.village_b}']")
        assert b is not None and "stale" in b["class"]
        # ... and the dashboard counts it as never synced (its database holds only the rules).
        recency = soup(client.get("/dashboard")).select("#chart-recency tbody tr")
        cells = {
            _text(tr.select_one("th")): [_text(td) for td in tr.select("td")] for tr in recency
        }
        assert cells == {"甲镇": ["1", "0", "0", "0", "0"], "乙乡": ["0", "0", "0", "0", "1"]}


#: Every route of the county app and whom it admits; a new route must be added on purpose.
COUNTY_ROUTES = {
    "health": "public",
    "verify": "public",  # what a publication's QR code opens, for anyone
    "login": "public",
    "login_submit": "public",
    "set_language": "public",
    "logout": "signed in",
    "overview": "signed in",
    "review_queue": "signed in",
    "dashboard": "signed in",
    "county_village": "signed in",
    "county_matter": "signed in",
    "review_submit": "signed in",
    "review_back": "signed in",
    "attachment": "signed in",
    "county_services": "signed in",
    "county_organisations": "signed in",
    "county_organisation_add": "signed in",
    "county_organisation": "signed in",
    "county_resource_add": "signed in",
    "county_resource_back": "signed in",
    "county_resource_active": "signed in",
    "county_resource_active_back": "signed in",
    "county_needs": "signed in",
    "county_village_services": "signed in",
    "county_project_add": "signed in",
    "county_project_back": "signed in",
    "county_pairing_add": "signed in",
    "county_pairing_back": "signed in",
    "county_project_end": "signed in",
    "county_project_end_back": "signed in",
    "county_pairing_end": "signed in",
    "county_pairing_end_back": "signed in",
    "county_resource_edit_form": "signed in",
    "county_resource_edit": "signed in",
    "county_bundle": "signed in",
    "county_bundle_import": "signed in",
    "county_bundle_reply": "signed in",
}
#: What only county-wide staff may do (the organisations and the resource list, which goes to
#: every village): a township reviewer is refused (403).
COUNTY_WIDE_ONLY = {
    "county_organisation_add",
    "county_resource_add",
    "county_resource_active",
    "county_resource_edit_form",
    "county_resource_edit",
}


def test_every_county_route_for_each_role(setup: Setup, tmp_path: Path) -> None:
    """Anonymous: to the login page (a POST: 401). A county reviewer: in. A township
    reviewer: in for the township's village, not found for another township's."""
    from starlette.routing import Route

    from village_app.web.security.permissions import GuardedRoute, routes_without_access

    ids = {
        "matter_id": setup.matter.id,
        "record_id": "",
        "name": "x.png",
        "org_id": "x",
        "resource_id": "x",
        "project_id": "x",
        "pairing_id": "x",
    }
    with _client(setup, tmp_path) as probe:
        routes = probe.app.routes  # type: ignore[attr-defined]
        assert routes_without_access(routes) == []
        assert {
            r.name: r.access.label for r in routes if isinstance(r, GuardedRoute)
        } == COUNTY_ROUTES
    guarded: list[Route] = [r for r in routes if isinstance(r, GuardedRoute)]
    guarded.sort(key=lambda r: r.name == "logout")
    for role in ("anonymous", "county", "township_a"):
        for code in (setup.county.village_a, setup.county.village_b):
            with _client(setup, tmp_path) as client:
                if role != "anonymous":
                    assert _log_in(client, setup.county.accounts[role]) == 303
                token = csrf_of(client, "/login" if role == "anonymous" else "/")
                params = {**ids, "code": code, "record_id": f"stage_record:{code}:X"}
                for route in guarded:
                    for method in sorted((route.methods or set()) - {"HEAD"}):
                        path = _fill(route.path, params)
                        answer = client.request(
                            method, path, data={"csrf_token": token}, follow_redirects=False
                        )
                        where = f"{role} {method} {path}: {answer.status_code}"
                        if COUNTY_ROUTES[route.name] == "public":
                            assert answer.status_code < 500, where
                        elif role == "anonymous":
                            if method == "GET":
                                assert "/login" in answer.headers.get("location", ""), where
                            else:
                                assert answer.status_code == 401, where
                        elif role == "township_a" and route.name in COUNTY_WIDE_ONLY:
                            assert answer.status_code == 403, where
                        else:
                            assert answer.status_code not in (401, 403, 500), where
                            other_township = role == "township_a" and code != setup.county.village_a
                            # (a *_back route only redirects to its form's page, which is 404.)
                            if (
                                other_township
                                and "{code}" in route.path
                                and method == "GET"
                                and not route.name.endswith("_back")
                            ):
                                assert answer.status_code == 404, where


def _fill(path: str, params: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: params[m.group(1)], path)


def _text(tag: Tag | None) -> str:
    assert tag is not None
    return tag.get_text(strip=True)


def test_couchdb_down_keeps_the_pages_and_what_was_typed(setup: Setup, tmp_path: Path) -> None:
    """The county pages read the county index, so they keep working while CouchDB is down;
    a review that cannot be written is refused with the reviewer's text kept in the form;
    signing in says the county database cannot be reached (503), not a wrong password."""
    from village_app.web.state import app_state

    with _client(setup, tmp_path) as client:
        assert _log_in(client, setup.county.accounts["county"]) == 303
        context = app_state(client.app).county  # type: ignore[arg-type]
        assert context is not None
        up, up_base = context.server, context.base_url
        # Nothing listens on port 9 of this machine (discard): every request fails to connect.
        context.server, context.base_url = CouchServer("http://127.0.0.1:9"), "http://127.0.0.1:9"
        try:
            assert client.get("/").status_code == 200
            assert client.get("/queue").status_code == 200
            page = client.get(f"/villages/{VILLAGE}/matters/{setup.matter.id}")
            assert page.status_code == 200
            form = soup(page).select_one("#review-form")
            assert form is not None
            data = {attr(i, "name"): attr(i, "value") for i in form.select("input[type=hidden]")}
            answer = client.post(
                attr(form, "action"),
                data={**data, "decision": "recorded", "comment": "程序完整，予以备案"},
            )
            assert answer.status_code == 503
            kept = soup(answer)
            assert "审核意见没有保存" in _text(kept.select_one("#review-error"))
            assert _text(kept.select_one("#review-comment")) == "程序完整，予以备案"
            assert kept.select_one("input[name=decision][value=recorded][checked]") is not None
            client.post("/logout", data={"csrf_token": csrf_of(client)})
            assert _log_in(client, setup.county.accounts["county"]) == 503
        finally:
            client.portal.call(context.server.close)  # type: ignore[union-attr]
            context.server, context.base_url = up, up_base


def test_a_reviewer_with_no_villages_is_told_so(
    setup: Setup, tmp_path: Path, new_couch_user_name: Callable[[], str]
) -> None:
    """A township role the registry does not know (a township merged away, a typo): the
    account signs in and every page says it has no villages yet, instead of an empty list."""
    name = new_couch_user_name()

    async def make() -> None:
        async with CouchServer(setup.county.url) as server:
            await server.put_user(name, PASSWORD, ["township_999999999"])

    asyncio.run(make())
    with _client(setup, tmp_path) as client:
        assert _log_in(client, name) == 303
        assert soup(client.get("/")).select_one("#no-villages") is not None
        assert "还没有分配" in client.get("/queue").text
        assert client.get(f"/villages/{VILLAGE}").status_code == 404
        assert client.get("/dashboard").status_code == 200
