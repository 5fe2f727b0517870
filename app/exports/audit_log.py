"""The audit log as a CSV or XLSX file (the audit page's download and ``hailong audit export``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.audit.service import ACTIONS
from app.core.locale import to_local
from app.exports.sheets import csv_table, xlsx_table
from app.offices.tree import Tree

HEADER = [
    "Thời gian",
    "Tài khoản",
    "Thao tác",
    "Mã thao tác",
    "Đối tượng",
    "Lý do",
    "Đơn vị",
    "Địa chỉ",
]
WIDTHS: dict[int, float] = {0: 19, 1: 16, 2: 20, 3: 14, 4: 40, 5: 48, 6: 16, 7: 16}


def log_file(events: Iterator[Any], tree: Tree, fmt: str) -> Iterator[bytes]:
    """The events as a CSV or XLSX file (the page's export and the CLI's)."""
    rows = _rows(events, tree)
    if fmt == "csv":
        return csv_table(HEADER, rows)
    return xlsx_table("Nhật ký", HEADER, rows, WIDTHS)


def _rows(events: Iterator[Any], tree: Tree) -> Iterator[list[Any]]:
    for event in events:
        office = tree.offices.get(event.office_id or 0)
        yield [
            to_local(event.at),
            event.username,
            ACTIONS.get(event.action, event.action),
            event.action,
            event.target,
            event.reason or "",
            office[0] if office else "",
            event.address,
        ]
