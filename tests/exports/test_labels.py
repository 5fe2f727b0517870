"""What staff read in a spreadsheet is words, not codes: the channel, the source, the survey and
the detectors' rules in Vietnamese, each row's answer scale named (a "3" is "Rất hài lòng" on
one scale and "Bình thường" on the other), headers that wrap, and no column empty for the whole
file. JSON Lines, read by programs, keeps the codes."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import Session

from app.ballots.office_info import Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.exports import ballot_export, files
from app.integrity.exclusions import find
from app.signals.scan import insert_flags
from app.surveys.catalog import SurveyCatalog
from tests.exports.test_files import MAY
from tests.factories import make_office, six_answers


def _ballots(db: Session, catalog: SurveyCatalog) -> list[str]:
    """Two units rated on the six criteria, one on five levels, the other on three."""
    make_office(db, catalog, code="LB-P", kind="province")
    make_office(db, catalog, code="LB-A", parent="LB-P")
    make_office(db, catalog, code="LB-B", parent="LB-P", survey="cong-chuc-3-muc")
    receipts = []
    for day, code, value, channel, source in (
        (4, "LB-A", 3, "web", Provenance("counter")),
        (5, "LB-B", 3, "api", Provenance("dossier")),
    ):
        ballot, _ = submit(
            db,
            catalog,
            code,
            Submission(answers=six_answers(value)),
            channel=channel,
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, day, 9, tzinfo=VN_TZ),
            provenance=source,
        )
        receipts.append(ballot.receipt)
    flagged = find(db, receipts[1])
    found = (flagged.id or 0, "over-dossiers", {"note": "x"})
    insert_flags(db.connection(), [(found, flagged.submitted_at, flagged.office_id)])
    return receipts


def _csv(db: Session, export: ballot_export.Export, path: Path) -> list[dict[str, str]]:
    files.write(db.connection(), export, "csv", path, "t")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_spreadsheets_say_it_in_words(
    db: Session, registered: SurveyCatalog, tmp_path: Path
) -> None:
    _ballots(db, registered)
    export = ballot_export.prepare(db, registered, "LB-P", MAY, flags=True, officers=True)
    first, second = _csv(db, export, tmp_path / "phieu.csv")
    assert (first["Kênh"], second["Kênh"]) == ("Trang phiếu trên web", "Phần mềm kết nối (API)")
    assert (first["Nguồn"], second["Nguồn"]) == ("Mã QR tại quầy", "Theo hồ sơ")
    assert first["Mẫu phiếu"] == registered.surveys["cong-chuc"].title_vi
    assert second["Mẫu phiếu"] == registered.surveys["cong-chuc-3-muc"].title_vi
    # The same "3" under the same question: the row says which scale it is on.
    question = registered.surveys["cong-chuc"].questions[0].text_vi
    assert first[question] == second[question] == "3"
    assert first["Thang đo"] == "5 mức (5 = Rất hài lòng)"
    assert second["Thang đo"] == "3 mức (3 = Rất hài lòng)"
    assert second["Phiếu nghi vấn"] == "Nhiều phiếu hơn số hồ sơ (chờ xem xét)"
    # Nothing in these columns for any ballot of the file: left out.
    for empty in ("Quầy", "Thiết bị", "Phần mềm một cửa", "Cán bộ tiếp nhận", "Góp ý"):
        assert empty not in first
    for empty in ("Dữ liệu mẫu", "Loại khỏi thống kê", "Lý do loại"):
        assert empty not in first
    assert all(first[column] or second[column] for column in first)
    assert not files.verify_file(db.connection(), tmp_path / "phieu.csv")


def test_workbook_headers_wrap_and_match_the_csv(
    db: Session, registered: SurveyCatalog, tmp_path: Path
) -> None:
    _ballots(db, registered)
    export = ballot_export.prepare(db, registered, "LB-P", MAY, flags=True)
    rows = _csv(db, export, tmp_path / "phieu.csv")
    path = tmp_path / "phieu.xlsx"
    export = ballot_export.prepare(db, registered, "LB-P", MAY, flags=True)
    files.write(db.connection(), export, "xlsx", path, "t")
    assert not files.verify_file(db.connection(), path)
    sheet = load_workbook(path).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header == list(rows[0])
    for cell in sheet[1]:
        assert cell.alignment.wrap_text
        assert cell.font.b
    # Tall enough for the longest header at its column's width; answers wide enough to read.
    assert (sheet.row_dimensions[1].height or 0) >= 45
    question = header.index(registered.surveys["cong-chuc"].questions[0].text_vi)
    assert sheet.column_dimensions[sheet.cell(1, question + 1).column_letter].width >= 16
    assert [c.value for c in sheet[3]][header.index("Thang đo")].startswith("3 mức")


def test_json_lines_keep_the_codes(db: Session, registered: SurveyCatalog, tmp_path: Path) -> None:
    _ballots(db, registered)
    export = ballot_export.prepare(db, registered, "LB-P", MAY, flags=True)
    path = tmp_path / "phieu.jsonl"
    files.write(db.connection(), export, "jsonl", path, "t")
    first, second = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert (first["channel"], first["source"], first["survey"]) == ("web", "counter", "cong-chuc")
    assert (first["scale"], second["scale"]) == ("5-muc", "3-muc")
    assert second["flags"] == "over-dossiers (chờ xem xét)"
    assert first["device"] is None
    assert first["comment"] == ""
