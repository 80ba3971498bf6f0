"""Ledgers (台账): tables the township asks for on paper, as one model that becomes an .xlsx
workbook (openpyxl) or a printable page (``ledger.html``).

A :class:`Ledger` holds text already in the request's language, numbers, and real dates: in
the workbook a date is an Excel date (so it sorts and filters), on the page it is written out.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from starlette.responses import Response

from village_app.i18n import TIMEZONE

Value = str | int | float | dt.date | dt.datetime | None
Kind = Literal["text", "number", "decimal", "date", "datetime"]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NUMBER_FORMATS: dict[str, str] = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "decimal": "0.0",
}
#: Widths in Excel's units (about one Latin character; a Chinese one takes two).
_MIN_WIDTH, _MAX_WIDTH = 6, 48
_THIN = Side(style="thin", color="999999")


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"
    #: A heading over several columns (a stage over its date, attendance and result).
    group: str = ""
    #: The widest a column gets (long texts wrap instead).
    max_width: int = _MAX_WIDTH


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]

    @property
    def grouped(self) -> bool:
        return any(c.group for c in self.columns)

    def header_groups(self) -> list[tuple[str, int]]:
        """Consecutive columns under one group heading: ``[(group, span), ...]`` ("" for none)."""
        spans: list[tuple[str, int]] = []
        for column in self.columns:
            if spans and column.group and spans[-1][0] == column.group:
                spans[-1] = (column.group, spans[-1][1] + 1)
            else:
                spans.append((column.group, 1))
        return spans


@dataclass(frozen=True)
class Ledger:
    #: What it is called on the page, the sheet's top line and the file's name.
    title: str
    #: Under the title: the village, the filters, when it was made.
    subtitle: str
    sheets: tuple[Sheet, ...]
    #: The file's name, and an ASCII one for clients that cannot read the first.
    filename: str
    ascii_filename: str
    #: Wide tables print on landscape A4.
    landscape: bool = False
    made_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(TIMEZONE))

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sheets)


def _display_width(value: object) -> int:
    text = value if isinstance(value, str) else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _cell_value(value: Value) -> Value:
    # Excel has no time zones: a time is written as Shanghai wall time.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(TIMEZONE).replace(tzinfo=None)
    return value


def _sheet_title(title: str, taken: set[str]) -> str:
    """Excel's limits: 31 characters, none of ``[]:*?/\\``, unique in the workbook."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    name, n = clean, 2
    while name in taken:
        name = f"{clean[:28]}({n})"
        n += 1
    taken.add(name)
    return name


def _write_sheet(ws: Worksheet, ledger: Ledger, sheet: Sheet) -> None:
    width = max(1, len(sheet.columns))
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="EEEEEE")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.cell(row=1, column=1, value=ledger.title).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=ledger.subtitle)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    header_rows = 2 if sheet.grouped else 1
    first = 3  # the header's first row
    col = 1
    for group, span in sheet.header_groups():
        if group:
            ws.cell(row=first, column=col, value=group)
            if span > 1:
                ws.merge_cells(
                    start_row=first, start_column=col, end_row=first, end_column=col + span - 1
                )
        for offset in range(span):
            column = sheet.columns[col - 1 + offset]
            row = first + header_rows - 1 if group else first
            ws.cell(row=row, column=col + offset, value=column.header)
            if not group and header_rows == 2:
                ws.merge_cells(
                    start_row=first,
                    start_column=col + offset,
                    end_row=first + 1,
                    end_column=col + offset,
                )
        col += span
    for r in range(first, first + header_rows):
        for c in range(1, width + 1):
            cell = ws.cell(row=r, column=c)
            cell.font, cell.fill, cell.alignment = bold, head_fill, centre
            cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
    body = first + header_rows
    wrap = Alignment(vertical="top", wrap_text=True)
    for i, values in enumerate(sheet.rows):
        for c, (column, value) in enumerate(zip(sheet.columns, values, strict=True), start=1):
            cell = ws.cell(row=body + i, column=c, value=_cell_value(value))
            if column.kind in _NUMBER_FORMATS and value is not None:
                cell.number_format = _NUMBER_FORMATS[column.kind]
            if column.kind == "text":
                cell.alignment = wrap
    for c, column in enumerate(sheet.columns, start=1):
        widths = [
            _display_width(column.header),
            *(_display_width(v) for v in _column(sheet.rows, c - 1) if v is not None),
        ]
        if column.kind == "date":
            widths.append(10)
        elif column.kind == "datetime":
            widths.append(16)
        ws.column_dimensions[get_column_letter(c)].width = max(
            _MIN_WIDTH, min(max(widths) + 2, column.max_width)
        )
    ws.freeze_panes = f"A{body}"
    # Printed from Excel too: landscape when wide, one page wide, the header on every page.
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if ledger.landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{first}:{body - 1}"


def _column(rows: Sequence[tuple[Value, ...]], index: int) -> list[Value]:
    return [row[index] for row in rows]


def workbook_bytes(ledger: Ledger) -> bytes:
    """The ledger as an .xlsx file: one worksheet per sheet, the title and subtitle on top,
    then the header (frozen), then one row per record."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for sheet in ledger.sheets:
        _write_sheet(book.create_sheet(_sheet_title(sheet.title, taken)), ledger, sheet)
    book.properties.title = ledger.title
    book.properties.creator = "村议"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(ledger: Ledger) -> Response:
    """A download with the ledger's Chinese file name (RFC 6266/5987) and an ASCII fallback."""
    fallback = ledger.ascii_filename.replace('"', "").replace("\\", "")
    disposition = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(ledger.filename, safe='')}"
    )
    return Response(
        workbook_bytes(ledger), media_type=XLSX_TYPE, headers={"Content-Disposition": disposition}
    )
