"""Exports read back with real readers, Vietnamese intact, injection neutralised, and files
checked against their manifests and the database."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from app.ballots.office_info import OPEN, Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.exports import ballot_export, files
from app.stats.periods import date_range
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, six_answers

MAY = date_range(date(2026, 5, 1), date(2026, 5, 31))


def _setup(db: Session, catalog: SurveyCatalog) -> list[str]:
    make_office(db, catalog, code="X-P", name="Tỉnh Thanh Hóa", kind="province")
    make_office(
        db, catalog, code="X-A", name="Bộ phận một cửa xã Thiệu Hóa", parent="X-P", counters=2
    )
    receipts = []
    sources = [
        OPEN,
        Provenance("kiosk", device_id=7),
        OPEN,
        Provenance("dossier", integration_id=3, officer_code="CB7"),
    ]
    for n, comment in enumerate(
        ["Cán bộ rất nhiệt tình, chu đáo", '=HYPERLINK("x")', "-1+2", None]
    ):
        ballot, _ = submit(
            db,
            catalog,
            "X-A",
            Submission(answers=six_answers(4 + n % 2), comment=comment, counter=2),
            channel="web",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, 4 + n, 9, 15, tzinfo=VN_TZ),
            provenance=sources[n],
        )
        receipts.append(ballot.receipt)
    return receipts


def test_csv_reads_back_with_the_bom(
    db: Session, registered: SurveyCatalog, tmp_path: Path
) -> None:
    receipts = _setup(db, registered)
    export = ballot_export.prepare(db, registered, "X-P", MAY)
    path = tmp_path / "ballots.csv"
    manifest = json.loads(files.write(db.connection(), export, "csv", path, "test").read_text())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header[9] == "Công chức có thái độ giao tiếp lịch sự"
    assert [r[8] for r in body] == receipts
    first = dict(zip(header, body[0], strict=True))
    assert first["Tên đơn vị"] == "Bộ phận một cửa xã Thiệu Hóa"
    assert first["Thời gian"] == "2026-05-04T09:15:00+07:00"
    assert first["Góp ý"] == "Cán bộ rất nhiệt tình, chu đáo"
    assert first["Quầy"] == "2"
    # Where each came from.
    assert [r[header.index("Nguồn")] for r in body] == [
        "Mã QR chung",
        "Máy đánh giá tại chỗ",
        "Mã QR chung",
        "Theo hồ sơ",
    ]
    assert body[1][header.index("Thiết bị")] == "7"
    assert body[3][header.index("Phần mềm một cửa")] == "3"
    # The officer a rating names only for those who may see it (inspectors, the unit's head).
    assert "Cán bộ tiếp nhận" not in header
    named = tmp_path / "named.csv"
    files.write(
        db.connection(),
        ballot_export.prepare(db, registered, "X-P", MAY, officers=True),
        "csv",
        named,
        "t",
    )
    with named.open(encoding="utf-8-sig", newline="") as handle:
        named_header, *_, last = list(csv.reader(handle))
    assert last[named_header.index("Cán bộ tiếp nhận")] == "CB7"
    # Formula injection neutralised, the text otherwise kept.
    assert body[1][header.index("Góp ý")] == '\'=HYPERLINK("x")'
    assert body[2][header.index("Góp ý")] == "'-1+2"
    assert manifest["rows"] == 4
    assert manifest["filters"]["offices"] == ["X-A", "X-P"]
    assert manifest["first_chain_hash"] == body[0][-1]
    assert manifest["last_chain_hash"] == body[-1][-1]
    assert not files.verify_file(db.connection(), path)


def test_jsonl(db: Session, registered: SurveyCatalog, tmp_path: Path) -> None:
    receipts = _setup(db, registered)
    path = tmp_path / "ballots.jsonl"
    files.write(
        db.connection(), ballot_export.prepare(db, registered, "X-A", MAY), "jsonl", path, "t"
    )
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["receipt"] for r in records] == receipts
    assert records[0]["answers"]["polite"] == 4
    assert records[1]["comment"] == '=HYPERLINK("x")'  # JSON is data, not a spreadsheet
    assert (records[1]["source"], records[1]["device"], records[1]["integration"]) == (
        "kiosk",
        7,
        None,
    )
    assert not files.verify_file(db.connection(), path)


def test_tampering_with_file_or_database_is_caught(
    db: Session, registered: SurveyCatalog, tmp_path: Path
) -> None:
    receipts = _setup(db, registered)
    path = tmp_path / "ballots.csv"
    files.write(
        db.connection(), ballot_export.prepare(db, registered, "X-A", MAY), "csv", path, "t"
    )
    original = path.read_bytes()
    path.write_bytes(original.replace("nhiệt tình".encode(), "tệ".encode()))
    assert any("SHA-256" in p for p in files.verify_file(db.connection(), path))
    path.write_bytes(original)
    db.connection().execute(
        text("UPDATE ballot SET comment = 'sửa' WHERE receipt = :r"), {"r": receipts[0]}
    )
    problems = files.verify_file(db.connection(), path)
    assert any(receipts[0] in p and "EDITED" in p for p in problems)


def test_a_survey_whose_ballots_are_all_excluded_keeps_its_columns(
    db: Session, registered: SurveyCatalog
) -> None:
    """The surveys a file holds are looked up through the counts, which leave excluded ballots
    out: an excluded ballot's survey still gets its columns, and a survey used only after the
    snapshot does not."""
    from app.integrity.exclusions import decide
    from tests.factories import make_user

    make_office(db, registered, code="EX-P", kind="province")
    make_office(db, registered, code="EX.CC", parent="EX-P")
    make_office(db, registered, code="EX.SP", parent="EX-P", survey="sipas")
    sipas = {q.key: 4 for q in registered.surveys["sipas"].questions if q.required}
    stored = {}
    for code, answers in (("EX.CC", six_answers(5)), ("EX.SP", sipas)):
        stored[code], _ = submit(
            db,
            registered,
            code,
            Submission(answers=answers),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, 6, 9, tzinfo=VN_TZ),
        )
    inspector = make_user(db, "inspector")
    decide(db, registered, inspector, stored["EX.SP"].receipt, "phiếu thử nghiệm", exclude=True)
    export = ballot_export.prepare(db, registered, "EX-P", MAY)
    assert export.surveys == ("cong-chuc", "sipas")
    newest = ballot_export.settled(db.connection())
    before = ballot_export.prepare(db, registered, "EX-P", MAY, snapshot=newest - 1)
    assert before.surveys == ("cong-chuc",)
