"""Small tables as CSV or XLSX: the summary and the audit log. (The ballot exports, a million
rows with a manifest, have their own writers.) Every cell goes through ``neutralise``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from app.exports import xlsx
from app.exports.cells import neutralise


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
    as numbers, ``formats`` by column (``0.0%``)."""
    return xlsx.stream(title, header, rows, xlsx.Columns(len(header), widths or {}, formats))
