"""The figures per office × criterion (the dashboard numbers), as CSV or as an XLSX workbook.
Both are built from the same rows, so the two files always agree with each other and with the
summary API."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from app.core.errors import InvalidInput
from app.exports.service import neutralise
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats.maths import CATEGORIES
from app.stats.periods import Period
from app.stats.service import figures_by_subtree
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_for_office

LEVELS_VI = ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng")
HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Từ ngày",
    "Đến ngày",
    "Phiếu",
    "Số phiếu",
    "Loại khỏi thống kê",
    "Tiêu chí",
    "Số trả lời",
    *[f"Số {lv}" for lv in LEVELS_VI],
    "Tỷ lệ rất hài lòng",
    "Tỷ lệ hài lòng",
    "Tỷ lệ hài lòng trở lên",
    "Khoảng tin cậy 95% (thấp)",
    "Khoảng tin cậy 95% (cao)",
    "Đủ số phiếu",
]
FIRST_SHARE = HEADER.index("Tỷ lệ rất hài lòng")
LAST_SHARE = HEADER.index("Khoảng tin cậy 95% (cao)")
WIDTHS = {0: 16, 1: 36, 2: 11, 3: 11, 4: 14, 7: 48}


def summary_rows(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    period: Period,
    survey_key: str | None = None,
    visible: set[int] | None = None,
) -> list[list[Any]]:
    """One row per office of the sub-tree (each with its own sub-tree's figures) and criterion:
    counts as ints, shares as fractions 0–1 (None when nobody answered). A list, built before
    any file is started: a province is a few thousand offices, and a bad filter fails early."""
    office = get_by_code(session, office_code)
    survey = catalog.get(survey_key) if survey_key else survey_for_office(session, catalog, office)
    if survey is None:
        raise InvalidInput(f"survey {survey_key!r}: no such survey")
    tree = load_tree(session)
    roots = [i for i in tree.subtree(office.id or 0) if visible is None or i in visible]
    entries = figures_by_subtree(session, catalog, tree, sorted(roots), survey, period)
    rows: list[list[Any]] = []
    for entry in sorted(entries, key=lambda e: e.code):
        fig = entry.figures
        for criterion in fig.criteria:
            shares = criterion.shares.shares()
            low, high = criterion.shares.headline_ci95() or (None, None)
            rows.append(
                [
                    entry.code,
                    entry.name,
                    period.start,
                    period.end,
                    survey.key,
                    fig.ballot_count,
                    fig.excluded,
                    criterion.label_vi,
                    criterion.shares.total,
                    *[criterion.shares.counts.get(c, 0) for c in CATEGORIES],
                    *[
                        shares.get(k)
                        for k in ("very_satisfied", "satisfied", "satisfied_or_better")
                    ],
                    low,
                    high,
                    "có" if fig.enough_responses else "không",
                ]
            )
    return rows


def summary_csv(rows: list[list[Any]]) -> Iterator[bytes]:
    """UTF-8 with a BOM, RFC 4180 quoting, shares with six decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield "\ufeff".encode() + buffer.getvalue().encode()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(_text(v)) for v in row])
        yield buffer.getvalue().encode()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def summary_xlsx(rows: list[list[Any]]) -> Iterator[bytes]:
    """A workbook: bold frozen header, dates as dates, counts as numbers, shares as percentages
    (the cell holds the fraction, so sums and charts in Excel work)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Tổng hợp")
    sheet.freeze_panes = "A2"
    for index in range(len(HEADER)):
        width = WIDTHS.get(index, 13)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    head = []
    for title in HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in rows:
        cells: list[Any] = []
        for index, value in enumerate(row):
            if index in (2, 3):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "dd/mm/yyyy"
                cells.append(cell)
            elif FIRST_SHARE <= index <= LAST_SHARE and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.0%"
                cells.append(cell)
            else:
                cells.append(neutralise(value))
        sheet.append(cells)
    with tempfile.TemporaryDirectory(prefix="hailong-summary-") as folder:
        path = Path(folder) / "summary.xlsx"
        workbook.save(path)
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 16):
                yield chunk


SUMMARY_FORMATS = {"csv": summary_csv, "xlsx": summary_xlsx}
