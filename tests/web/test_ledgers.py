"""台账: the four ledgers as .xlsx downloads (opened with openpyxl) and printable pages."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import quote

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet
from starlette.testclient import TestClient

import sync
from village_app import accounts
from village_app.domain import (
    Attendance,
    BodyKind,
    Ceremony,
    Matter,
    Member,
    StageRecord,
    SupervisionEntry,
    Vote,
)
from village_app.web.pages.ledgers import LedgerPage
from web import villagedata
from web.helpers import VILLAGE, ClientFactory, attr, log_in, one, page_of, soup

VIEWER_PASSWORD = "viewer-password-1"


async def village(db: sync.Database) -> None:
    """A major matter through its review (the consultation corrected), a council matter of
    2025, a supervision finding with a follow-up, a wedding; and a viewer account."""
    await villagedata.small_village(db)
    store = villagedata.store(db)
    matter = await villagedata.through_consultation(db)
    review = StageRecord(
        matter.id,
        "review",
        held_at=villagedata.at(9),
        place="村部",
        attendance=Attendance(30, 24, attendees=tuple(f"党员{i}" for i in range(24))),
        vote=Vote(
            20,
            2,
            2,
            by_name=tuple(
                (f"党员{i}", "for" if i < 20 else "against" if i < 22 else "abstain")
                for i in range(24)
            ),
        ),
    )
    await store.append_stage_record(matter.id, review)
    consultation = next(
        r for r in await store.list_stage_records(matter.id) if r.stage == "consultation"
    )
    fixed = StageRecord(
        matter.id,
        "consultation",
        body="two_committees",
        held_at=villagedata.at(5),
        place="村委会议室",
        attendance=Attendance(7, 7),
        content="商议意见",
    )
    await store.correct_record(consultation.id, fixed, "实到人数记错")
    council = Matter(kind="council", title="修订议事会章程", body="residents_council", year=2025)
    await store.create_matter(council)
    first = await store.add_supervision(
        SupervisionEntry(
            "机耕道预算未公示", "周监督", noted_at=villagedata.at(10), matter=matter.id
        )
    )
    await store.add_supervision(
        SupervisionEntry(
            "", "吴监督", status="closed", follow_up="已在公开栏补公示", noted_at=villagedata.at(12)
        ),
        thread_id=first.id,
    )
    await store.add_member(
        Member(
            BodyKind.WEDDINGS_FUNERALS_COUNCIL,
            "田理事",
            "理事长",
            dt.date(2024, 1, 1),
            convenor=True,
        )
    )
    await store.add_ceremony(
        Ceremony("wedding", "张家", dt.date(2026, 5, 1), 12, 600, 200, registered_by="田理事")
    )
    await accounts.add_user(db, "viewer", VIEWER_PASSWORD, village=VILLAGE, role="viewer")


def _sheets(response: Any) -> dict[str, Worksheet]:
    assert response.status_code == 200
    assert (
        response.headers["content-type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    return {ws.title: ws for ws in book.worksheets}


def _cell(ws: Worksheet, row: int, column: int) -> Cell:
    cell = ws.cell(row, column)
    assert isinstance(cell, Cell)  # not inside a merged range
    return cell


def _header(ws: Worksheet, row: int = 3) -> list[Any]:
    return [c.value for c in ws[row]]


def _rows(ws: Worksheet, first: int) -> list[list[Any]]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=first)]


def test_the_matters_register_has_a_row_per_matter_and_each_stage(
    make_client: ClientFactory,
) -> None:
    client = make_client(setup=village)
    response = client.get("/ledgers/matters.xlsx")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="matters.xlsx"; ')
    assert f"filename*=UTF-8''{quote('清溪村事项台账.xlsx')}" in disposition
    sheets = _sheets(response)
    assert list(sheets) == ["村级重大事项", "议事会事项"]
    major = sheets["村级重大事项"]
    assert major["A1"].value == "清溪村事项台账"
    assert _header(major)[:6] == ["事项", "事项类别", "提议组织", "年度", "当前阶段", "登记日期"]
    assert _header(major)[6] == "党支部会提议"  # the stage over its four columns
    assert _header(major, 4)[6:10] == ["日期", "应到", "实到", "结果"]
    assert major.freeze_panes == "A5"
    [row] = _rows(major, 5)
    assert row[:5] == [
        "修建村东机耕道",
        "村级重大事项",
        "村党支部",
        2026,
        "村民会议或村民代表会议决议",
    ]
    assert row[6] == dt.datetime(2026, 11, 2)  # a real Excel date
    assert _cell(major, 5, 7).is_date and _cell(major, 5, 7).number_format == "yyyy-mm-dd"
    assert row[10:14] == [dt.datetime(2026, 11, 5), 7, 7, "会议有效"]  # the corrected consultation
    assert row[14:18] == [dt.datetime(2026, 11, 9), 30, 24, "通过"]
    assert row[18:22] == [None, None, None, None]  # not yet held
    [council] = _rows(sheets["议事会事项"], 5)
    assert council[0] == "修订议事会章程" and council[3] == 2025


def test_a_filtered_export_has_only_the_filtered_matters(make_client: ClientFactory) -> None:
    client = make_client(setup=village)
    listed = soup(client.get("/matters?kind=council&year=2025"))
    link = attr(one(listed, '#ledger-links a[data-ledger="matters-xlsx"]'), "href")
    assert link == "/ledgers/matters.xlsx?kind=council&year=2025"
    response = client.get(link)
    assert "%E5%B9%B4-2025" not in response.headers["content-disposition"]
    assert response.headers["content-disposition"].endswith(quote("清溪村事项台账-2025.xlsx"))
    sheets = _sheets(response)
    assert list(sheets) == ["议事会事项"]
    assert [r[0] for r in _rows(sheets["议事会事项"], 5)] == ["修订议事会章程"]
    assert "事项类别：议事会事项" in str(sheets["议事会事项"]["A2"].value)
    meetings = _sheets(client.get("/ledgers/meetings.xlsx?year=2025"))
    assert _rows(next(iter(meetings.values())), 4) == []


def test_the_meeting_records_mark_corrections_and_name_nobody(make_client: ClientFactory) -> None:
    client = make_client(setup=village)
    [ws] = _sheets(client.get("/ledgers/meetings.xlsx?kind=major")).values()
    assert _header(ws) == [
        "事项",
        "阶段",
        "组织",
        "时间",
        "地点",
        "会议形式",
        "应到",
        "实到",
        "出席率",
        "赞成",
        "反对",
        "弃权",
        "结果",
        "更正情况",
    ]
    rows = _rows(ws, 4)
    assert [r[1] for r in rows] == ["党支部会提议", "两委会商议", "两委会商议", "党员大会审议"]
    assert rows[1][7] == 6 and rows[1][13] == "已被更正，以更正记录为准"
    assert rows[2][7] == 7 and rows[2][13] == "更正记录，原因：实到人数记错"
    review = rows[3]
    assert (
        review[3] == dt.datetime(2026, 11, 9, 19, 0)
        and _cell(ws, 7, 4).number_format == "yyyy-mm-dd hh:mm"
    )
    assert review[4:12] == ["村部", "现场会议", 30, 24, "80.0%", 20, 2, 2]
    assert review[12] == "表决通过"
    cells = " ".join(str(v) for r in rows for v in r)
    assert "党员0" not in cells  # attendance names and named votes stay out


def test_the_supervision_register_has_a_row_per_entry(make_client: ClientFactory) -> None:
    client = make_client(setup=village)
    assert (
        attr(one(soup(client.get("/supervision")), "#ledger-links a"), "href")
        == "/ledgers/supervision.xlsx"
    )
    [ws] = _sheets(client.get("/ledgers/supervision.xlsx")).values()
    assert _header(ws) == [
        "监督事项编号",
        "时间",
        "发现的问题",
        "状态",
        "跟进情况",
        "记录人",
        "相关事项",
        "更正情况",
    ]
    first, follow_up = _rows(ws, 4)
    assert first == [
        1,
        dt.datetime(2026, 11, 10, 19, 0),
        "机耕道预算未公示",
        "待整改",
        None,
        "周监督",
        "修建村东机耕道",
        None,
    ]
    assert follow_up[0] == 1 and follow_up[3:7] == [
        "已办结",
        "已在公开栏补公示",
        "吴监督",
        "修建村东机耕道",
    ]
    assert _cell(ws, 4, 2).is_date


def test_the_ceremonies_register_is_the_secretarys_only(make_client: ClientFactory) -> None:
    client = make_client(setup=village)
    [ws] = _sheets(client.get("/ledgers/ceremonies.xlsx?year=2026")).values()
    assert _header(ws)[:4] == ["办理日期", "类别", "户主", "桌数"]
    [row] = _rows(ws, 4)
    assert row[:7] == [dt.datetime(2026, 5, 1), "婚事", "张家", 12, 600, 200, "符合"]
    assert _cell(ws, 4, 1).is_date
    viewer = make_client(setup=village, logged_in=False)
    assert log_in(viewer, "viewer", VIEWER_PASSWORD).status_code == 303
    assert viewer.get("/ledgers/ceremonies.xlsx?year=2026").status_code == 403
    assert viewer.get("/ledgers/ceremonies/print?year=2026").status_code == 403
    assert soup(viewer.get("/ledgers")).select('#ledger-list tr[data-ledger="ceremonies"]') == []
    assert viewer.get("/ledgers/matters.xlsx").status_code == 200


def test_the_print_page_has_the_rows_and_the_download_keeps_the_filters(
    make_client: ClientFactory,
) -> None:
    client: TestClient = make_client(setup=village)
    response = client.get("/ledgers/meetings/print?kind=major")
    page = page_of(response)
    assert isinstance(page, LedgerPage) and page.ledger.landscape and page.ledger.row_count == 4
    html = soup(response)
    assert len(html.select("#ledger tbody tr[data-row]")) == 4
    assert "landscape" in (one(html, "#ledger").get("class") or [])
    assert attr(one(html, "#ledger-xlsx"), "href") == "/ledgers/meetings.xlsx?kind=major"
    matters = soup(client.get("/ledgers/matters/print"))
    assert [attr(s, "data-sheet") for s in matters.select(".ledger-part")] == [
        "村级重大事项",
        "议事会事项",
    ]
    assert one(matters, "th.group").get_text() == "党支部会提议"


def test_an_english_export_is_in_english(make_client: ClientFactory) -> None:
    client = make_client(setup=village)
    client.cookies.set("lang", "en")
    [ws] = _sheets(client.get("/ledgers/supervision.xlsx")).values()
    assert _header(ws)[:3] == ["No.", "Time", "Finding"]


def test_a_private_moral_review_matter_has_no_publication_to_show(
    make_client: ClientFactory,
) -> None:
    """Its procedure has no public stage, while the sheet's columns are the council kind's:
    the row is as long as the header, the publication marked as not required (it was a 500)."""

    async def setup(db: sync.Database) -> None:
        await villagedata.small_village(db)
        await villagedata.store(db).create_matter(
            Matter(kind="council", title="赡养问题评议", body="moral_review_council", year=2026)
        )

    client = make_client(setup=setup)
    assert client.get("/ledgers/matters/print").status_code == 200
    sheet = _sheets(client.get("/ledgers/matters.xlsx"))["议事会事项"]
    [row] = _rows(sheet, 5)
    assert len(row) == len(_header(sheet, 4))
    assert row[-4:] == [None, None, None, "无需公开"]
