"""The XLSX export read back with openpyxl: one header row, bold and frozen, dates as dates,
numbers as numbers, Vietnamese intact, formulas neutralised, reproducible byte for byte."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.exports import ballot_export, files, xlsx
from app.surveys.catalog import SurveyCatalog
from tests.exports.test_files import MAY, _setup
from tests.factories import bearer, make_user


def test_workbook_reads_back(db: Session, registered: SurveyCatalog, tmp_path: Path) -> None:
    receipts = _setup(db, registered)
    path = tmp_path / "phieu.xlsx"
    files.write(
        db.connection(), ballot_export.prepare(db, registered, "X-A", MAY), "xlsx", path, "t"
    )
    book = load_workbook(path)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[9] == "Công chức có thái độ giao tiếp lịch sự"
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width > 20
    assert [r[8] for r in body] == receipts
    assert body[0][1] == "Bộ phận một cửa xã Thiệu Hóa"
    assert body[0][3] == datetime(2026, 5, 4, 9, 15)  # a real date, in Vietnam time
    assert body[0][9] == 4  # a real number
    comments = [r[header.index("Góp ý")] for r in body]
    assert comments[1] == '\'=HYPERLINK("x")'
    assert not files.verify_file(db.connection(), path)


def test_http_xlsx_and_its_manifest(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _setup(db, registered)
    headers = bearer(db, make_user(db, "inspector"))
    params = "office=X-P&from=2026-05-01&to=2026-05-31"
    response = client.get(f"/api/v1/exports/ballots.xlsx?{params}", headers=headers)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    snapshot = response.headers["x-export-snapshot"]
    manifest = client.get(
        f"/api/v1/exports/ballots.xlsx.manifest.json?{params}&snapshot={snapshot}",
        headers=headers,
    ).json()
    assert manifest["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert manifest["rows"] == 4


def test_more_rows_than_a_sheet_holds_continue_on_the_next(
    db: Session, registered: SurveyCatalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel stops at 1,048,576 rows; past that the workbook goes on in a new sheet, each with
    the header, and the file still verifies (shown here with 3 rows per sheet)."""
    receipts = _setup(db, registered)
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    path = tmp_path / "phieu.xlsx"
    files.write(
        db.connection(), ballot_export.prepare(db, registered, "X-A", MAY), "xlsx", path, "t"
    )
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["Phiếu", "Phiếu (2)"]
    first, second = (list(s.iter_rows(values_only=True)) for s in book.worksheets)
    book.close()
    assert first[0] == second[0]  # the header on each sheet
    assert [r[8] for r in first[1:] + second[1:]] == receipts
    assert len(first) == 4
    assert not files.verify_file(db.connection(), path)
