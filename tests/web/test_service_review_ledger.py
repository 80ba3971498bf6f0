"""年度评议 as a ledger (issue 13): the yearly review of the service projects and posts as an
.xlsx download (read back with openpyxl) and a printable A4 page, with the figures the
review page shows, a corrected entry counted once, and no villager named."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import quote

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

import sync
from village_app import accounts
from village_app.domain.services import Claim, DutyLog, Rating, ServiceLog
from village_app.web.pages.ledgers import LedgerPage
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, log_in, one, page_of, soup
from web.servicedata import county_lists

VIEWER_PASSWORD = "viewer-password-1"


async def village(db: sync.Database) -> None:
    """A project with two services (one corrected) and three paper ratings in 2026, a
    pairing's activity, a patrol post held with two duties."""
    await villagedata.small_village(db)
    lists = await county_lists(db, VILLAGE)
    store = villagedata.store(db)
    first = await store.add_service_log(
        ServiceLog(dt.date(2026, 4, 2), "测血压", 20, 3, 6.0, project_id=lists.project)
    )
    await store.add_service_log(
        ServiceLog(
            dt.date(2026, 4, 2),
            "测血压",
            18,
            3,
            6.0,
            project_id=lists.project,
            corrects=first.id,
            reason="重复登记",
        )
    )
    await store.add_service_log(
        ServiceLog(dt.date(2026, 5, 7), "送药上门", 12, 2, 4.5, project_id=lists.project)
    )
    await store.add_service_log(
        ServiceLog(dt.date(2026, 6, 1), "普法讲座", 40, 2, 4.0, pairing_id=lists.pairing)
    )
    for scores in ({"filial": 5, "close": 4}, {"filial": 4}, {"filial": 3, "close": 5}):
        await store.add_rating(Rating(lists.project, scores, dt.date(2026, 5, 8)))
    patrol = f"service_post:{VILLAGE}:patrol"
    await store.claim_post(Claim(patrol, "赵大山", "party_member", dt.date(2026, 1, 1)))
    for day, hours in ((dt.date(2026, 3, 1), 2.0), (dt.date(2026, 3, 8), 1.5)):
        await store.add_duty_log(DutyLog(patrol, "赵大山", day, "夜间巡逻", hours))
    await accounts.add_user(db, "viewer", VIEWER_PASSWORD, village=VILLAGE, role="viewer")


def _sheets(response: Any) -> dict[str, Worksheet]:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    return {ws.title: ws for ws in book.worksheets}


def _rows(ws: Worksheet) -> list[list[Any]]:
    """The body rows (under the title, subtitle and two header rows)."""
    return [[c.value for c in row] for row in ws.iter_rows(min_row=5)]


def test_the_yearly_review_downloads_with_its_figures(make_client: ClientFactory) -> None:
    client = make_client(setup=village)
    response = client.get("/ledgers/services.xlsx?year=2026")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="services-review-2026.xlsx"; ')
    assert quote("清溪村2026 年度社会服务评议表.xlsx") in disposition
    sheets = _sheets(response)
    assert list(sheets) == ["服务项目", "公益岗位"]
    projects = sheets["服务项目"]
    assert projects.cell(1, 1).value == "清溪村2026 年度社会服务评议表"
    assert [c.value for c in projects[3]][8] == "群众评议（五心）"
    headers = [c.value for c in projects[4]]
    assert headers[8:11] == ["评议份数", "孝心", "爱心"]
    project, pairing, total = _rows(projects)
    # The corrected entry counts once: 18 + 12 people, two services.
    assert project[:8] == ["上门义诊", "仁和医院", "公益慈善", "进行中", 2, 30, 5, 10.5]
    assert project[8] == 3 and project[9] == 4.0  # 孝心: (5 + 4 + 3) / 3
    assert project[-2] == 4.2 and project[-1] == 80  # 21/5; four of five answers 4 or 5
    assert pairing[0] == "结对共建活动（不属于服务项目）" and pairing[4:8] == [1, 40, 2, 4.0]
    assert total[0] == "合计" and total[4:8] == [3, 70, 7, 14.5]
    posts = _rows(sheets["公益岗位"])
    patrol = next(r for r in posts if r[0] == "治安义务巡防员")
    assert patrol == ["治安义务巡防员", "赵大山", 2, 3.5]
    assert posts[-1] == ["合计", None, 2, 3.5]
    # Another year: no project ran, the totals are nought.
    earlier = _rows(_sheets(client.get("/ledgers/services.xlsx?year=2025"))["服务项目"])
    assert earlier == [["合计", None, None, None, 0, 0, 0, 0, 0, *[None] * 7]]


def test_the_yearly_review_prints_on_a4(make_client: ClientFactory) -> None:
    client = make_client(setup=village)
    review = soup(client.get("/services/review?year=2026"))
    link = attr(one(review, "#review-print"), "href")
    assert link == "/ledgers/services/print?year=2026"
    assert attr(one(review, "#review-xlsx"), "href") == "/ledgers/services.xlsx?year=2026"
    page = client.get(link)
    ledger = page_of(page)
    assert isinstance(ledger, LedgerPage) and ledger.ledger.landscape
    html = soup(page)
    parts = html.select("section.ledger-part")
    assert [p["data-sheet"] for p in parts] == ["服务项目", "公益岗位"]
    first = parts[0].select("tr[data-row]")[0].get_text(" ", strip=True)
    assert "上门义诊" in first and "10.5" in first and "4.2" in first
    assert attr(one(html, "#ledger-xlsx"), "href") == "/ledgers/services.xlsx?year=2026"
    # Every signed-in reader may print it: it names no villager.
    client.post("/logout", data={"csrf_token": client.cookies.get("csrf_token", "")})
    viewer = make_client(setup=village, logged_in=False)
    assert log_in(viewer, "viewer", VIEWER_PASSWORD).status_code == 303
    assert viewer.get("/ledgers/services/print?year=2026").status_code == 200
