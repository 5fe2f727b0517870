"""Ballots as an XLSX workbook Excel opens: one header row, bold and frozen, then one row per
ballot, dates as dates and numbers as numbers; streamed (app/exports/workbook.py), and the same
bytes every time for the same ballots, so its manifest can be computed again later."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from app.exports import workbook
from app.exports.rows import CHAIN, COMMENT, DEMO, EXCLUDED, FLAGS, REASON, YES, ballot_rows
from app.exports.service import Export

WIDTHS: dict[int, float] = {0: 16, 1: 36, 2: 7, 3: 19, 4: 8, 5: 14, 6: 9, 7: 13}


def _rows(conn: Connection, export: Export) -> Iterator[tuple[Any, ...]]:
    for row in ballot_rows(conn, export):
        export.note(row)
        yield (
            *row[:COMMENT],
            row[COMMENT],
            YES if row[DEMO] else None,
            YES if row[EXCLUDED] else None,
            row[REASON],
            row[FLAGS],
            row[CHAIN],
        )


def xlsx_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    header = export.header()
    widths = dict(WIDTHS)
    for index in range(8, len(header)):
        widths.setdefault(index, 12 if index < len(header) - 6 else 24)  # the tail: text
    for chunk in workbook.stream("Phiếu", header, _rows(conn, export), widths):
        export.digest.update(chunk)
        yield chunk


def read_rows(path: Path) -> list[tuple[Any, ...]]:
    """Every row after the header, of every sheet, as values (to check a file against its
    manifest)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = [
        row for sheet in book.worksheets for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    book.close()
    return rows
