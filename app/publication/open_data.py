"""Open data: one file per published sub-tree and month (``/cong-khai/{office}/du-lieu/
{yyyy-mm}.csv`` and ``.json``), a row for each office in it that publishes, with the figures of
the public pages and what the public log says of them.

The ``so_phieu_trong_so_*`` columns count, per source, the office's own ballots of the month
that the log's checkpoint ``diem_kiem`` holds and that no decision it holds excluded: anyone
can recount them from the log's entries (``hailong log audit`` does). The figures beside them
are the office's sub-tree's, computed when the file was made.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session

from app.models import Ballot, Exclusion, LogEntry
from app.models.sources import SOURCES
from app.offices.tree import Tree, load_tree
from app.publication.results import Month, NotPublic, month_figures
from app.stats.periods import Period, period_of
from app.surveys.catalog import SurveyCatalog

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
ENTRY = LogEntry.__table__  # type: ignore[attr-defined]
EXCLUSION = Exclusion.__table__  # type: ignore[attr-defined]
LICENCE = "Giấy phép Dữ liệu mở Creative Commons Ghi công 4.0 (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.vi"
MEANINGS: dict[str, str] = {
    "thang": "Tháng, dạng năm-tháng (ví dụ 2026-11).",
    "ma_don_vi": "Mã của đơn vị.",
    "ten_don_vi": "Tên của đơn vị.",
    "ma_cap_tren": "Mã của đơn vị cấp trên (trống nếu không có).",
    "so_phieu": "Số phiếu được tính của đơn vị và các đơn vị trực thuộc trong tháng.",
    "du_phieu": "co nếu đủ số phiếu tối thiểu để công bố tỷ lệ, khong nếu chưa.",
    "ty_le_hai_long": "Tỷ lệ câu trả lời hài lòng hoặc rất hài lòng trên mọi tiêu chí (0 đến 1); "
    "trống khi chưa đủ phiếu.",
    "tin_cay_95_duoi": "Cận dưới của khoảng tin cậy 95 % của tỷ lệ, tính theo phiếu.",
    "tin_cay_95_tren": "Cận trên của khoảng tin cậy 95 % của tỷ lệ.",
    "xep_hang": "Thứ hạng trong bảng xếp hạng mà đơn vị thuộc về; trống khi không xếp hạng.",
    "so_don_vi_xep_hang": "Số đơn vị được xếp hạng trong bảng đó.",
    "xep_hang_trong": "Bảng xếp hạng đó, bằng lời.",
    "chi_so_ho_so_766": "Chỉ số hài lòng về hồ sơ theo Quyết định 766/QĐ-TTg (0 đến 1), nếu "
    "đơn vị có dữ liệu hồ sơ.",
    "diem_kiem": "Số mục của sổ công khai tại điểm kiểm dùng để đếm các cột so_phieu_trong_so.",
    **{
        f"so_phieu_trong_so_{source}": f"Số phiếu riêng của đơn vị trong tháng, nguồn "
        f"“{names[0]}”, có trong sổ công khai tại điểm kiểm và không bị loại."
        for source, names in SOURCES.items()
    },
}
COLUMNS = tuple(MEANINGS)


@dataclass(frozen=True)
class OpenData:
    office: str
    month: date
    checkpoint: int | None  # the log's size the counts are of; None: no signed log yet
    rows: list[dict[str, Any]]


def logged_counts(
    conn: Connection, office_ids: list[int], period: Period, size: int
) -> dict[int, dict[str, int]]:
    """Each office's own ballots of ``period`` among the log's first ``size`` entries, not
    excluded by a decision among them, by source. The decisions are few: the latest of each
    ballot is found here, not by a subquery per ballot."""
    start, end = period.bounds_utc()
    in_month = (
        BALLOT.c.office_id.in_(office_ids),
        BALLOT.c.submitted_at >= start,
        BALLOT.c.submitted_at < end,
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    logged = (
        sa.select(BALLOT.c.office_id, BALLOT.c.source, sa.func.count())
        .join(ENTRY, ENTRY.c.ballot_id == BALLOT.c.id)
        .where(*in_month, ENTRY.c.idx < size)
        .group_by(BALLOT.c.office_id, BALLOT.c.source)
    )
    for office_id, source, n in conn.execute(logged):
        found[office_id][source or "open"] = found[office_id].get(source or "open", 0) + n
    decisions = (
        sa.select(BALLOT.c.id, BALLOT.c.office_id, BALLOT.c.source, EXCLUSION.c.excluded)
        .join(EXCLUSION, EXCLUSION.c.ballot_id == BALLOT.c.id)
        .join(ENTRY, ENTRY.c.exclusion_id == EXCLUSION.c.id)
        .where(*in_month, ENTRY.c.idx < size)
        .order_by(ENTRY.c.idx)
    )
    latest = {row.id: row for row in conn.execute(decisions)}  # the last one stands
    for row in latest.values():
        source = row.source or "open"
        if row.excluded and found[row.office_id].get(source):
            found[row.office_id][source] -= 1
    return found


def open_data(
    session: Session,
    catalog: SurveyCatalog,
    code: str,
    month: date,
    min_responses: int,
    checkpoint: int | None,
) -> OpenData:
    """The file's rows: the office and every office below it that publishes."""
    tree = load_tree(session)
    root = tree.ids.get(code)
    if root is None or not tree.publishes(root):
        raise NotPublic(f"office {code!r} does not publish its results")
    offices = sorted(
        (i for i in tree.subtree(root) if tree.publishes(i)), key=lambda i: tree.offices[i][0]
    )
    period = period_of("month", month)
    figures = month_figures(session, catalog, tree, offices, period, min_responses)
    own = (
        logged_counts(session.connection(), tree.subtree(root), period, checkpoint)
        if checkpoint is not None
        else {}
    )
    rows = [_row(tree, figures[i], own.get(i, {}), checkpoint) for i in offices]
    return OpenData(code, period.start, checkpoint, rows)


def _row(
    tree: Tree, month: Month, logged: dict[str, int], checkpoint: int | None
) -> dict[str, Any]:
    entry = month.entry
    figures = entry.figures
    enough = figures.enough_responses
    interval = figures.headline_ci95() if enough else None
    parent = tree.offices[entry.office_id][2]
    row: dict[str, Any] = {
        "thang": month.period.start.strftime("%Y-%m"),
        "ma_don_vi": entry.code,
        "ten_don_vi": entry.name,
        "ma_cap_tren": tree.offices[parent][0] if parent is not None else "",
        "so_phieu": figures.ballot_count,
        "du_phieu": enough,
        "ty_le_hai_long": round(figures.headline, 4)
        if enough and figures.headline is not None
        else None,
        "tin_cay_95_duoi": round(interval[0], 4) if interval else None,
        "tin_cay_95_tren": round(interval[1], 4) if interval else None,
        "xep_hang": entry.rank[0] if entry.rank and enough else None,
        "so_don_vi_xep_hang": entry.rank[1] if entry.rank and enough else None,
        "xep_hang_trong": month.ranked_among if entry.rank and enough else "",
        "chi_so_ho_so_766": (
            round(entry.dossiers.indicator, 4) if entry.dossiers.indicator is not None else None
        ),
        "diem_kiem": checkpoint,
    }
    for source in SOURCES:
        row[f"so_phieu_trong_so_{source}"] = (
            logged.get(source, 0) if checkpoint is not None else None
        )
    return row


def as_json(data: OpenData, origin: str | None) -> str:
    body = {
        "don_vi": data.office,
        "thang": data.month.strftime("%Y-%m"),
        "giay_phep": LICENCE,
        "giay_phep_url": LICENCE_URL,
        "so_cong_khai": {"nguon_goc": origin, "diem_kiem": data.checkpoint},
        "dong": data.rows,
    }
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


def as_csv(data: OpenData) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in data.rows:
        writer.writerow({k: ("" if v is None else _cell(v)) for k, v in row.items()})
    return "\ufeff" + out.getvalue()  # the BOM: Excel opens UTF-8 with it


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "co" if value else "khong"
    return value
