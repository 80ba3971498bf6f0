"""The 同步 page without a county: settings entered once (checked, the password never shown
back), each state of the header, a failed run explained in plain Chinese, the sync log, and
what a reader (not the secretary) may do."""

from __future__ import annotations

import re
import socket
import time

from starlette.testclient import TestClient

import sync
from village_app import accounts
from village_app.syncing.runs import ArrivedConflict, Progress, Step
from village_app.web.state import app_state
from web import villagedata
from web.helpers import ClientFactory, csrf_of, one, page_of, soup


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _save(client: TestClient, **fields: str) -> object:
    data = {
        "address": "",
        "account": "",
        "password": "",
        **fields,
        "csrf_token": csrf_of(client, "/sync"),
    }
    return client.post("/sync/settings", data=data, follow_redirects=False)


def _wait_for_run(client: TestClient) -> None:
    service = app_state(client.app).sync  # type: ignore[arg-type]
    assert service is not None
    for _ in range(400):  # waiting for the background run, not timing it
        if not service.running:
            return
        time.sleep(0.02)
    raise AssertionError("the sync did not end")


def test_settings_are_entered_once_and_the_password_never_shown(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    page = soup(client.get("/sync"))
    assert one(page, "#sync-status")["data-state"] == "not_configured"
    assert one(page, "#sync-state").get_text(strip=True) == "还没有设置同步"
    assert page.select_one("#sync-now") is None  # nothing to sync to yet

    bad = _save(client, address="ftp://xian", account="cunwen", password="pw-1")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    error = one(soup(bad), ".field-error[data-field='address']")
    assert "地址不对" in error.get_text()
    assert one(soup(bad), "input[name='account']")["value"] == "cunwen"  # kept for the retry
    missing = _save(client, address="xian.example.cn", account="cunwen")
    assert one(soup(missing), ".field-error[data-field='password']").get_text() == "请填写密码"

    done = _save(client, address="xian.example.cn/", account="cunwen", password="Pw-of-the-village")
    assert done.status_code == 303  # type: ignore[attr-defined]
    shown = client.get("/sync?done=settings")
    assert "Pw-of-the-village" not in shown.text
    page = soup(shown)
    assert one(page, "#sync-done")
    assert one(page, "input[name='address']")["value"] == "https://xian.example.cn"
    assert not one(page, "input[name='password']").get("value")
    assert one(page, "#sync-now").get_text(strip=True) == "立即同步"
    # An empty password keeps the stored one.
    assert _save(client, address="https://xian2.example.cn", account="cunwen").status_code == 303  # type: ignore[attr-defined]
    service = app_state(client.app).sync  # type: ignore[arg-type]
    assert service is not None and service.config is not None
    assert service.settings.password(service.config) == "Pw-of-the-village"
    assert (
        service.config.database_url("330102001001")
        == "https://xian2.example.cn/village_330102001001"
    )


def test_the_header_of_every_page_shows_the_sync_state(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    for path in ("/", "/matters", "/councils", "/sync/log"):
        badge = one(soup(client.get(path)), "header #sync-status")
        assert badge["data-state"] == "not_configured" and badge["href"] == "/sync"
    _save(client, address=f"http://127.0.0.1:{_closed_port()}", account="cunwen", password="pw")
    badge = one(soup(client.get("/")), "#sync-status")
    assert badge["data-state"] == "pending"
    assert re.fullmatch(r"待同步 \d+ 条", badge.get_text(" ", strip=True))
    # Signed out: no sync state in the header.
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    assert soup(client.get("/login")).select_one("#sync-status") is None


def test_a_run_without_network_is_explained_and_logged(make_client: ClientFactory) -> None:
    client = make_client(setup=villagedata.small_village)
    _save(client, address=f"http://127.0.0.1:{_closed_port()}", account="cunwen", password="pw")
    started = client.post(
        "/sync/start", data={"csrf_token": csrf_of(client, "/sync")}, follow_redirects=False
    )
    assert started.status_code == 303
    _wait_for_run(client)
    fragment = client.get("/sync/progress", headers={"HX-Request": "true"})
    run = soup(fragment)
    assert one(run, "#sync-outcome")["data-outcome"] == "failed"
    problem = one(run, "#sync-problem")
    assert problem["data-problem"] == "offline"
    assert "无法连接县里" in problem.get_text() and "导出到U盘" in problem.get_text()
    assert one(run, "#sync-run").get("hx-trigger") is None  # polling stops once it ended
    # The header's state comes along out of band.
    assert one(run, "#sync-status")["data-state"] == "offline"
    assert one(run, "#sync-status")["hx-swap-oob"] == "true"
    assert page_of(fragment).progress.problem.code == "offline"
    assert "hx-refresh" not in fragment.headers
    # A page that was polling a run that has just ended reloads itself whole.
    polled = client.get("/sync/progress?running=1", headers={"HX-Request": "true"})
    assert polled.headers["hx-refresh"] == "true"

    log = soup(client.get("/sync/log"))
    [row] = log.select("#sync-log tr[data-outcome]")
    assert row["data-outcome"] == "failed" and "无法连接县里" in row.get_text()


def test_a_reader_sees_the_state_but_no_forms(make_client: ClientFactory) -> None:
    async def setup(db: sync.Database) -> None:
        await villagedata.small_village(db)
        await accounts.add_user(
            db, "reader", "reader-password-1", village="330102001001", role="viewer"
        )

    client = make_client(setup=setup, logged_in=False)
    token = csrf_of(client)
    client.post(
        "/login",
        data={
            "username": "reader",
            "password": "reader-password-1",
            "csrf_token": token,
            "next": "/",
        },
    )
    page = soup(client.get("/sync"))
    assert one(page, "#sync-state")
    assert page.select_one("#sync-settings") is None and page.select_one("#sync-now") is None
    assert (
        client.post("/sync/start", data={"csrf_token": csrf_of(client, "/sync")}).status_code == 403
    )


def test_conflicts_that_arrived_link_to_where_they_are_resolved(
    make_client: ClientFactory,
) -> None:
    """The page as a run that brought conflicting versions leaves it (the run itself is
    tested against the peer in tests/syncing)."""
    client = make_client(setup=villagedata.small_village)
    service = app_state(client.app).sync  # type: ignore[arg-type]
    assert service is not None
    progress = Progress(kind="sync", received=3)
    progress.conflicts = [
        ArrivedConflict(
            "matter:330102001001:X", "matter", "修建村东机耕道", "matter:330102001001:X"
        ),
        ArrivedConflict("member:330102001001:Y", "member", "陈会长", "residents_council"),
    ]
    progress.finish(Step.DONE)
    service.progress = progress
    links = soup(client.get("/sync")).select("#sync-conflicts li a")
    assert [a["href"] for a in links] == [
        "/matters/matter:330102001001:X/conflicts",
        "/councils/residents_council/conflicts",
    ]
    assert links[1].get_text() == "村民议事会：陈会长"
