"""When a case opens by itself: with the ballot that is not satisfied, in the same transaction.

The rule is the survey's own: a ballot whose overall level is below "satisfied", or that answers
any criterion below "satisfied", opens a case. Every ballot rule (lowest, mean, one question)
only gives a level below "satisfied" when some answer is below it, so both halves come down to
one test: any answer outside the scale's satisfied levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table

from app.cases import notices
from app.core.bulk import bulk
from app.core.workdays import due_after
from app.models import Case
from app.surveys.definition import SurveyDefinition

CASE: Table = Case.__table__  # type: ignore[attr-defined]
DEFAULT_DAYS = 10
RETURNING = " RETURNING id, ballot_id"
COLUMNS = ("office_id", "ballot_id", "receipt", "origin", "text", "status", "opened_at", "due_at")


def opens_case(survey: SurveyDefinition, answers: dict[str, int]) -> bool:
    good = survey.satisfied_values
    return any(value not in good for value in answers.values())


@dataclass(frozen=True)
class Opening:
    office_id: int
    office_code: str
    office_name: str
    path: tuple[int, ...]  # the office and its ancestors: whose webhooks hear of it
    ballot_id: int
    receipt: str
    comment: str | None
    at: datetime
    days: int


def open_for_ballots(conn: Connection, openings: list[Opening]) -> None:
    """One case per dissatisfied ballot just stored, and its notices, in the ballots'
    transaction."""
    if not openings:
        return
    sql = bulk(conn)
    due = {o.ballot_id: due_after(o.at, o.days) for o in openings}
    rows = [
        sql.row(
            CASE,
            COLUMNS,
            {
                "office_id": o.office_id,
                "ballot_id": o.ballot_id,
                "receipt": o.receipt,
                "origin": "ballot",
                "text": o.comment,
                "status": "new",
                "opened_at": o.at,
                "due_at": due[o.ballot_id],
            },
        )
        for o in openings
    ]
    # On PostgreSQL the receivers are asked in the same round trip as the cases are stored.
    with sql.overlapped(conn):
        told = notices.receivers(
            conn, {o.office_id for o in openings}, {p for o in openings for p in o.path}
        )
        stored = sql.insert(conn, CASE, COLUMNS, rows, RETURNING)
        receivers = told()
    ids = {ballot: case for case, ballot in stored}
    notices.opened(
        conn,
        [
            notices.CaseNews(
                id=ids[o.ballot_id],
                office_id=o.office_id,
                office_code=o.office_code,
                office_name=o.office_name,
                path=o.path,
                origin="ballot",
                text=o.comment,
                opened_at=o.at,
                due_at=due[o.ballot_id],
            )
            for o in openings
        ],
        receivers,
    )
