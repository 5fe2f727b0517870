"""Rollups: answer and ballot counts per office, survey version and local day, month and year.

They are written in the same transaction as the ballots they count (``add``), so the figures
read from them always equal a full recount of the raw answers; ``rebuild`` recounts from scratch
(used by the migration that introduced them and by ``hailong stats rebuild``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, select

from app.core.bulk import bulk
from app.core.timeutil import to_local
from app.models import Answer, AnswerRollup, Ballot, BallotRollup, SurveyVersion
from app.surveys.definition import SurveyDefinition

ANSWER_ROLLUP: Table = AnswerRollup.__table__  # type: ignore[attr-defined]
BALLOT_ROLLUP: Table = BallotRollup.__table__  # type: ignore[attr-defined]
ANSWER_KEY = (
    "office_id",
    "survey_key",
    "grain",
    "start",
    "survey_version",
    "question_key",
    "value",
)
BALLOT_KEY = ("office_id", "survey_key", "grain", "start", "survey_version", "level")
GRAINS = ("d", "m", "y")


def buckets(day: date) -> tuple[tuple[str, date], ...]:
    """The day, month and year a local day is counted in."""
    return (("d", day), ("m", day.replace(day=1)), ("y", day.replace(month=1, day=1)))


UNCLASSIFIED = 0


@dataclass(frozen=True)
class Counted:
    """One stored ballot, as the rollups see it."""

    office_id: int
    survey_key: str
    survey_version: int
    submitted_at: datetime
    level: int
    answers: dict[str, int]


def ballot_level(survey: SurveyDefinition, answers: dict[str, int]) -> int:
    level = survey.classify(answers)
    return level.value if level is not None else UNCLASSIFIED


def _upsert(conn: Connection, table: Table, key: tuple[str, ...], counts: Counter[Any]) -> None:
    if not counts:
        return
    sql = bulk(conn)
    columns = (*key, "n")
    # Sorted, so concurrent writers lock the same rows in the same order and never deadlock.
    rows = [
        sql.row(table, columns, {**dict(zip(key, k, strict=True)), "n": n})
        for k, n in sorted(counts.items())
    ]
    suffix = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {table.name}.n + excluded.n"
    sql.insert(conn, table.name, columns, rows, suffix)


def add(conn: Connection, ballots: Iterable[Counted], sign: int = 1) -> None:
    """Count ``ballots`` in (or, with ``sign=-1``, out of) the rollups, in ``conn``'s
    transaction."""
    answers: Counter[tuple[Any, ...]] = Counter()
    levels: Counter[tuple[Any, ...]] = Counter()
    for ballot in ballots:
        for grain, start in buckets(to_local(ballot.submitted_at).date()):
            head = (ballot.office_id, ballot.survey_key, grain, start, ballot.survey_version)
            levels[(*head, ballot.level)] += sign
            for question, value in ballot.answers.items():
                answers[(*head, question, value)] += sign
    _upsert(conn, ANSWER_ROLLUP, ANSWER_KEY, answers)
    _upsert(conn, BALLOT_ROLLUP, BALLOT_KEY, levels)


def rebuild(conn: Connection, chunk: int = 5000) -> int:
    """Recount every rollup from the raw ballots; returns the number of ballots counted."""
    conn.execute(delete(ANSWER_ROLLUP))
    conn.execute(delete(BALLOT_ROLLUP))
    versions = {
        (row.key, row.version): SurveyDefinition.model_validate(row.definition)
        for row in conn.execute(select(SurveyVersion.__table__))  # type: ignore[attr-defined]
    }
    ballots = Ballot.__table__.c  # type: ignore[attr-defined]
    answers = Answer.__table__.c  # type: ignore[attr-defined]
    counted, last_id = 0, 0
    while True:
        rows = conn.execute(
            select(
                ballots.id,
                ballots.office_id,
                ballots.survey_key,
                ballots.survey_version,
                ballots.submitted_at,
            )
            .where(ballots.id > last_id)
            .order_by(ballots.id)
            .limit(chunk)
        ).all()
        if not rows:
            return counted
        given: dict[int, dict[str, int]] = {row.id: {} for row in rows}
        for ballot_id, question, value in conn.execute(
            select(answers.ballot_id, answers.question_key, answers.value).where(
                answers.ballot_id.in_(list(given))
            )
        ):
            given[ballot_id][question] = value
        add(
            conn,
            [
                Counted(
                    office_id=row.office_id,
                    survey_key=row.survey_key,
                    survey_version=row.survey_version,
                    submitted_at=row.submitted_at,
                    level=ballot_level(
                        versions[(row.survey_key, row.survey_version)], given[row.id]
                    ),
                    answers=given[row.id],
                )
                for row in rows
            ],
        )
        counted += len(rows)
        last_id = rows[-1].id
