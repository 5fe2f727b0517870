"""The three formats of a ballot file say exactly the same thing, field by field, for awkward
text: quotes, commas, line breaks, formulas, Vietnamese, a counter left out, an exclusion with a
quoted reason, an office whose name starts like a formula, a time a breath before midnight, two
flags on one ballot. Spreadsheets (CSV, XLSX) neutralise formulas; JSON Lines keeps the text."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.exports import ballot_export, files
from app.exports.cells import neutralise
from app.integrity.exclusions import decide, find
from app.signals.rules import RULES
from app.signals.scan import insert_flags
from app.surveys.catalog import SurveyCatalog
from tests.exports.test_files import MAY
from tests.factories import make_office, make_user, six_answers

AWKWARD = [
    'Nói "cảm ơn", rồi đi',
    "dòng một\r\ndòng hai",
    "@SUM(A1:A9)",
    "\tthụt đầu dòng",
    "+84 912 345 678",
    "",
    None,
    "Bình thường, không ý kiến",
    "＝1+1",  # fullwidth: a spreadsheet may take it for a formula too
]


def _flag(db: Session, receipt: str, rule: str, evidence: str) -> None:
    ballot = find(db, receipt)
    flag = (ballot.id or 0, rule, {"note": evidence})
    insert_flags(db.connection(), [(flag, ballot.submitted_at, ballot.office_id)])


def _as_text(value: Any) -> str:
    """A workbook's cell as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat() + "+07:00"
    return str(value)


def test_csv_xlsx_and_jsonl_agree(db: Session, registered: SurveyCatalog, tmp_path: Path) -> None:
    make_office(db, registered, code="CL-P", kind="province")
    make_office(db, registered, code="CL-A", name='=Một cửa, "xã" Đông', parent="CL-P", counters=2)
    receipts = []
    for n, comment in enumerate(AWKWARD):
        ballot, _ = submit(
            db,
            registered,
            "CL-A",
            Submission(
                answers=six_answers(1 + n % 5), comment=comment, counter=None if n % 2 else 1
            ),
            channel="web",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, 4, 23, 59, 59, 999999, tzinfo=VN_TZ),
        )
        receipts.append(ballot.receipt)
    inspector = make_user(db, "inspector")
    decide(db, registered, inspector, receipts[1], 'Trùng "phiếu", nhập lại', exclude=True)
    _flag(db, receipts[2], "too-fast", '"quote" ,comma')
    _flag(db, receipts[2], "same-device", "again")
    read: dict[str, list[Any]] = {}
    for fmt in ("csv", "xlsx", "jsonl"):
        path = tmp_path / f"phieu.{fmt}"
        export = ballot_export.prepare(db, registered, "CL-P", MAY, flags=True, officers=True)
        files.write(db.connection(), export, fmt, path, "t")
        assert not files.verify_file(db.connection(), path)
        if fmt == "csv":
            assert path.read_bytes().endswith(b"\r\n")
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header, *read[fmt] = list(csv.reader(handle))
        elif fmt == "xlsx":
            _, *rows = files.read_rows(path)
            read[fmt] = [[_as_text(v) for v in row] for row in rows]
        else:
            read[fmt] = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert read["csv"] == read["xlsx"]
    rows = [dict(zip(header, row, strict=True)) for row in read["csv"]]
    assert len(rows) == len(AWKWARD)
    assert [r["Mã phiếu"] for r in rows] == receipts
    assert rows[0]["Tên đơn vị"] == '\'=Một cửa, "xã" Đông'
    assert rows[0]["Thời gian"] == "2026-05-04T23:59:59+07:00"  # Vietnam time, to the second
    assert [r["Quầy"] for r in rows[:2]] == ["1", ""]
    assert [r["Góp ý"] for r in rows[2:5]] == [
        "'@SUM(A1:A9)",
        "thụt đầu dòng",  # the form keeps no leading space
        "'+84 912 345 678",
    ]
    assert rows[-1]["Góp ý"] == "'＝1+1"
    assert rows[1]["Loại khỏi thống kê"] == "có"
    assert rows[1]["Lý do loại"] == 'Trùng "phiếu", nhập lại'
    assert rows[2]["Phiếu nghi vấn"] == (
        "Một thiết bị gửi nhiều lần (chờ xem xét); Điền phiếu quá nhanh (chờ xem xét)"
    )
    assert [r["Phiếu nghi vấn"] for r in rows].count("") == len(AWKWARD) - 1
    for record, row in zip(read["jsonl"], rows, strict=True):
        assert neutralise(record["comment"]) == row["Góp ý"]
        assert record["receipt"] == row["Mã phiếu"]
        assert record["time"] == row["Thời gian"]
        assert record["excluded"] is (row["Loại khỏi thống kê"] == "có")
        words = {r.name: r.title_vi for r in RULES.values()}
        for code, title in words.items():
            record["flags"] = record["flags"].replace(code + " (", title + " (")
        assert record["flags"] == row["Phiếu nghi vấn"]
        assert [str(v) for v in record["answers"].values()] == [
            row[q.text_vi]
            for q in registered.get("cong-chuc").questions  # type: ignore[union-attr]
        ]
    assert read["jsonl"][0]["office_name"] == '=Một cửa, "xã" Đông'
