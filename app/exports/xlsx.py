"""Ballots as an XLSX workbook Excel opens: one header row, bold and frozen, then one row per
ballot, dates as dates and numbers as numbers. Written row by row (openpyxl's write-only mode)
to a temporary file, so a million rows never sit in memory; the file is made byte-for-byte
reproducible (fixed timestamps inside), so its manifest can be computed again later."""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection

from app.exports.service import Export, ballots, neutralise

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
WIDTHS = {0: 16, 1: 36, 2: 7, 3: 19, 4: 8, 5: 14, 6: 9, 7: 13}


def write_xlsx(conn: Connection, export: Export, path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Phiếu")
    sheet.freeze_panes = "A2"
    header = export.header()
    for index in range(len(header)):
        width = WIDTHS.get(index, 12 if index < len(header) - 5 else 24)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in ballots(conn, export):
        export.note(row)
        moment = WriteOnlyCell(sheet, value=row["time"].replace(tzinfo=None))
        moment.number_format = "dd/mm/yyyy hh:mm:ss"
        sheet.append(
            [
                neutralise(row["office"]),
                neutralise(row["office_name"]),
                row["counter"],
                moment,
                row["channel"],
                row["survey"],
                row["survey_version"],
                row["receipt"],
                *row["answers"],
                neutralise(row["comment"]) or None,
                "có" if row["demo"] else None,
                "có" if row["excluded"] else None,
                neutralise(row["exclusion_reason"]) or None,
                row["chain_hash"],
            ]
        )
    workbook.properties.creator = "hailong"
    workbook.properties.created = datetime(2000, 1, 1)
    workbook.save(path)
    _reproducible(path)


def _reproducible(path: Path) -> None:
    """Rewrite the archive with fixed entry times and a fixed 'modified' stamp."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


def xlsx_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    """Build the workbook in a temporary file, then hand it out in chunks."""
    with tempfile.TemporaryDirectory(prefix="hailong-xlsx-") as folder:
        path = Path(folder) / "ballots.xlsx"
        write_xlsx(conn, export, path)
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                export.digest.update(chunk)
                yield chunk


def read_rows(path: Path) -> list[tuple[Any, ...]]:
    """Every row after the header, as values (for checking a file against its manifest)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    workbook.close()
    return rows
