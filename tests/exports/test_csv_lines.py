"""The CSV lines the database formats say exactly what the row reader says, field by field,
for awkward text: quotes, commas, line breaks, formulas, Vietnamese, a counter left out, an
exclusion with a quoted reason, an office whose name starts like a formula."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.exports import files
from app.exports.rows import (
    CHAIN,
    COMMENT,
    DEMO,
    EXCLUDED,
    FLAGS,
    REASON,
    TIME,
    ballot_rows,
    csv_chunks,
)
from app.integrity.exclusions import decide
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
]


def _expected(row: tuple[object, ...]) -> list[str]:
    """The row as csv.writer would write it, then read back."""
    fields = [
        *row[:TIME],
        row[TIME].isoformat() + "+07:00",  # type: ignore[union-attr]
        *row[TIME + 1 : DEMO],
        "có" if row[DEMO] else "",
        "có" if row[EXCLUDED] else "",
        row[REASON],
        row[FLAGS],
        row[CHAIN] or "",
    ]
    return ["" if f is None else str(f) for f in fields]


def _flag(db: Session, receipt: str, evidence: str) -> None:
    from app.integrity.exclusions import find
    from app.signals.scan import insert_flags

    ballot = find(db, receipt)
    flag = (ballot.id or 0, "same-device", {"note": evidence})
    insert_flags(db.connection(), [(flag, ballot.submitted_at, ballot.office_id)])


def test_database_lines_match_the_rows(db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="CL-P", kind="province")
    make_office(db, registered, code="CL-A", name='=Một cửa, "xã" Đông', parent="CL-P", counters=2)
    receipts = []
    for n, comment in enumerate(AWKWARD):
        answers = six_answers(1 + n % 5)
        ballot, _ = submit(
            db,
            registered,
            "CL-A",
            Submission(answers=answers, comment=comment, counter=None if n % 2 else 1),
            channel="web",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, 4, 23, 59, 59, 999999, tzinfo=VN_TZ),
        )
        receipts.append(ballot.receipt)
    inspector = make_user(db, "inspector")
    decide(db, registered, inspector, receipts[1], 'Trùng "phiếu", nhập lại', exclude=True)
    _flag(db, receipts[2], '"quote" ,comma')
    export = files.prepare(db, registered, "CL-P", MAY, flags=True)
    conn = db.connection()
    text = "".join(chunk for chunk, _ in csv_chunks(conn, export, 3))
    rows = list(ballot_rows(conn, export))
    assert text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed == [_expected(row) for row in rows]
    assert [row[FLAGS] for row in rows].count("same-device (chờ xem xét)") == 1
    assert len(rows) == len(AWKWARD)
    assert rows[0][1] == '\'=Một cửa, "xã" Đông'
    assert rows[1][EXCLUDED] is True
    assert rows[2][COMMENT] == "'@SUM(A1:A9)"
    assert rows[0][TIME] == datetime(2026, 5, 4, 23, 59, 59)  # Vietnam time, to the second
