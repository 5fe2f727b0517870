"""The figures per office × criterion (the dashboard numbers), as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlmodel import Session

from app.exports.service import neutralise
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats.maths import CATEGORIES
from app.stats.periods import Period
from app.stats.service import figures_by_subtree
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_for_office

LEVELS_VI = ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng")


def summary_csv(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    period: Period,
    survey_key: str | None = None,
    visible: set[int] | None = None,
) -> Iterator[bytes]:
    """One row per office of the sub-tree (its own sub-tree's figures) and criterion."""
    office = get_by_code(session, office_code)
    survey = catalog.get(survey_key) if survey_key else survey_for_office(session, catalog, office)
    if survey is None:
        return
    tree = load_tree(session)
    roots = [i for i in tree.subtree(office.id or 0) if visible is None or i in visible]
    entries = figures_by_subtree(session, catalog, tree, sorted(roots), survey, period)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
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
    )
    yield "\ufeff".encode() + buffer.getvalue().encode()
    for entry in sorted(entries, key=lambda e: e.code):
        buffer.seek(0)
        buffer.truncate()
        fig = entry.figures
        for criterion in fig.criteria:
            shares = criterion.shares.shares()
            low_high = criterion.shares.headline_ci95() or (None, None)
            writer.writerow(
                [
                    neutralise(v)
                    for v in (
                        entry.code,
                        entry.name,
                        period.start.isoformat(),
                        period.end.isoformat(),
                        survey.key,
                        fig.ballot_count,
                        fig.excluded,
                        criterion.label_vi,
                        criterion.shares.total,
                        *[criterion.shares.counts.get(c, 0) for c in CATEGORIES],
                        *[
                            _ratio(shares.get(k))
                            for k in ("very_satisfied", "satisfied", "satisfied_or_better")
                        ],
                        _ratio(low_high[0]),
                        _ratio(low_high[1]),
                        "có" if fig.enough_responses else "không",
                    )
                ]
            )
        yield buffer.getvalue().encode()


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
