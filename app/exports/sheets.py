"""Small tables as CSV or XLSX: the summary and the audit log. (The ballot exports, a million
rows with a manifest, have their own writers.) Every cell goes through ``neutralise``."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.exports.service import neutralise

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, date):  # datetimes too, with their +07:00
        return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)
    return str(value)


def csv_table(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel then reads Vietnamese right), RFC 4180 quoting, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(_text(v)) for v in row])
        yield buffer.getvalue().encode()


def xlsx_table(
    title: str,
    header: list[str],
    rows: Iterable[list[Any]],
    widths: dict[int, float] | None = None,
    formats: dict[int, str] | None = None,
) -> Iterator[bytes]:
    """One sheet: bold frozen header, dates and times as Excel dates (in Vietnam time), numbers
    as numbers, ``formats`` by column (e.g. ``0.0%``). Written row by row to a temporary file,
    then handed out in chunks."""
    widths, formats = widths or {}, formats or {}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index in range(len(header)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = widths.get(index, 13)
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    with tempfile.TemporaryDirectory(prefix="hailong-sheet-") as folder:
        path = Path(folder) / "table.xlsx"
        try:
            for row in rows:
                sheet.append([_cell(sheet, i, v, formats) for i, v in enumerate(row)])
        finally:
            workbook.save(path)  # also closes the sheet's writer when a row fails
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                yield chunk


def _cell(sheet: Any, index: int, value: Any, formats: dict[int, str]) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if index in formats and value is not None:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = formats[index]
        return cell
    return neutralise(value)
