"""Tampering with ballots through raw SQL, behind the app's back, is caught and reported by
receipt, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.integrity.verify import verify_db
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, six_answers

START = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def receipts(db: Session, registered: SurveyCatalog) -> list[str]:
    make_office(db, registered, code="T-A")
    make_office(db, registered, code="T-B")
    out = []
    for n in range(8):
        for code in ("T-A", "T-B"):
            ballot, _ = submit(
                db,
                registered,
                code,
                Submission(answers=six_answers(4 + n % 2), comment=f"góp ý {n}"),
                channel="api",
                idempotency_key=uuid.uuid4().hex,
                strict_replay=True,
                submitted_at=START + timedelta(minutes=n),
            )
            if code == "T-A":
                out.append(ballot.receipt)
    return out


def _sql(db: Session, statement: str, **params: object) -> None:
    db.connection().execute(text(statement), params)


def _found(db: Session) -> set[tuple[str, str]]:
    report = verify_db(db.connection())
    return {(f.kind, f.receipt) for f in report.findings or []}


def test_a_clean_database_verifies(db: Session, receipts: list[str]) -> None:
    report = verify_db(db.connection())
    assert report.ok, report.findings
    assert report.ballots >= 16
    assert verify_db(db.connection(), "T-A").ballots == 8


def test_an_edited_answer_is_caught(db: Session, receipts: list[str]) -> None:
    _sql(
        db,
        "UPDATE answer SET value = 1 WHERE question_key = 'polite' AND ballot_id = "
        "(SELECT id FROM ballot WHERE receipt = :r)",
        r=receipts[3],
    )
    assert _found(db) == {("edited", receipts[3])}


def test_an_edited_comment_or_time_is_caught(db: Session, receipts: list[str]) -> None:
    _sql(db, "UPDATE ballot SET comment = 'Rất tốt' WHERE receipt = :r", r=receipts[1])
    _sql(db, "UPDATE ballot SET counter = 3 WHERE receipt = :r", r=receipts[5])
    assert _found(db) == {("edited", receipts[1]), ("edited", receipts[5])}


def test_a_deleted_ballot_is_caught(db: Session, receipts: list[str]) -> None:
    for table in ("answer", "ballot"):
        column = "ballot_id" if table == "answer" else "id"
        _sql(
            db,
            f"DELETE FROM {table} WHERE {column} = (SELECT id FROM ballot WHERE receipt = :r)",
            r=receipts[4],
        )
    # Reported at the ballot that now follows the gap.
    assert _found(db) == {("deleted", receipts[5])}


def test_the_last_ballot_deleted_is_caught(db: Session, receipts: list[str]) -> None:
    for table in ("answer", "ballot"):
        column = "ballot_id" if table == "answer" else "id"
        _sql(
            db,
            f"DELETE FROM {table} WHERE {column} = (SELECT id FROM ballot WHERE receipt = :r)",
            r=receipts[-1],
        )
    assert _found(db) == {("tail", receipts[-2])}


def test_an_inserted_ballot_is_caught(db: Session, receipts: list[str]) -> None:
    _sql(
        db,
        "INSERT INTO ballot (receipt, office_id, counter, survey_key, survey_version, channel, "
        "idempotency_key, request_hash, comment, submitted_at, is_demo) "
        "SELECT 'FAKE000001', office_id, NULL, survey_key, survey_version, channel, 'forged', "
        "'-', NULL, submitted_at, is_demo FROM ballot WHERE receipt = :r",
        r=receipts[0],
    )
    _sql(
        db,
        "INSERT INTO answer (ballot_id, question_key, value) "
        "SELECT id, 'polite', 5 FROM ballot WHERE receipt = 'FAKE000001'",
    )
    assert _found(db) == {("inserted", "FAKE000001")}


def test_a_forged_copy_in_the_chain_is_caught(db: Session, receipts: list[str]) -> None:
    # A ballot given a place at the end of the chain with copied hashes breaks the links.
    _sql(
        db,
        "INSERT INTO ballot (receipt, office_id, counter, survey_key, survey_version, channel, "
        "idempotency_key, request_hash, comment, submitted_at, is_demo, chain_seq, prev_hash, "
        "chain_hash) SELECT 'FAKE000002', office_id, counter, survey_key, survey_version, "
        "channel, 'forged-2', request_hash, comment, submitted_at, is_demo, 9, prev_hash, "
        "chain_hash FROM ballot WHERE receipt = :r",
        r=receipts[2],
    )
    found = _found(db)
    assert ("inserted", "FAKE000002") in found or ("edited", "FAKE000002") in found
