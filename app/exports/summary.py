"""The figures per office × criterion (the dashboard numbers), as CSV or as an XLSX workbook.
Both are built from the same rows, so the two files always agree with each other and with the
summary API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from app.core.errors import InvalidInput
from app.exports.sheets import csv_table, xlsx_table
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats.maths import CATEGORIES
from app.stats.periods import Period
from app.stats.service import choose, figures_by_subtree
from app.surveys.catalog import SurveyCatalog

LEVELS_VI = ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng")
HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Từ ngày",
    "Đến ngày",
    "Mẫu phiếu",
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
WIDTHS: dict[int, float] = {0: 14, 1: 32, 2: 11, 3: 11, 4: 32, 7: 48}


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
    if survey_key and catalog.get(survey_key) is None:
        raise InvalidInput(f"survey {survey_key!r}: no such survey")
    survey, comparison = choose(session, catalog, office, survey_key)
    covered = catalog.criteria.get(comparison.key) if comparison.key else None
    title = (covered or survey).title_vi  # the shared criteria's name, or the survey's
    tree = load_tree(session)
    roots = [i for i in tree.subtree(office.id or 0) if visible is None or i in visible]
    entries = figures_by_subtree(
        session, catalog, tree, sorted(roots), survey, period, comparison=comparison
    )
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
                    title,
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
    """Shares as fractions with six decimals."""
    return csv_table(HEADER, rows)


def summary_xlsx(rows: list[list[Any]]) -> Iterator[bytes]:
    """Shares as percentages (the cell holds the fraction, so sums and charts in Excel work)."""
    percent = dict.fromkeys(range(FIRST_SHARE, LAST_SHARE + 1), "0.0%")
    return xlsx_table("Tổng hợp", HEADER, rows, WIDTHS, percent)


SUMMARY_FORMATS = {"csv": summary_csv, "xlsx": summary_xlsx}
