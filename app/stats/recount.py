"""Recounting the rollups from the raw ballots: the migrations that introduced each table and
``hailong stats rebuild``; and the level backfill of migration 0011."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, delete, inspect, literal, select, text

from app.models import Answer, Ballot, SurveyVersion
from app.offices.paths import ancestors, hold_tree
from app.stats.counted import excluded_ids
from app.stats.rollups import (
    ANSWER_ROLLUP,
    BALLOT_ROLLUP,
    COMPARED,
    MOMENTS,
    Counted,
    add_to_tables,
    derive,
    level_value,
)
from app.surveys.definition import CriteriaSet, SurveyDefinition


def rebuild(
    conn: Connection,
    chunk: int = 5000,
    *,
    tables: tuple[str, ...] = ("answers", "ballots"),
    criteria: dict[str, CriteriaSet] | None = None,
    subtrees: bool = False,
    questions_by_source: bool = False,
) -> int:
    """Recount ``tables`` from the raw ballots (excluded ones left out); returns the number of
    ballots counted. Used by the migrations that introduced each table (each recounts its
    own) and by ``hailong stats rebuild``. ``subtrees``: into every ancestor too, as
    ``add`` counts (the migrations before 0013 count each office's own ballots only);
    ``questions_by_source``: the compared rollup as before 0015 (its downgrade)."""
    inspector = inspect(conn)
    sourceless = set()
    for name, table in (
        ("answers", ANSWER_ROLLUP),
        ("ballots", BALLOT_ROLLUP),
        ("moments", MOMENTS),
        ("compared", COMPARED),
    ):
        if name in tables:
            conn.execute(delete(table))
            # The migrations before 0010 recount tables that have no source column yet.
            if "source" not in {c["name"] for c in inspector.get_columns(table.name)}:
                sourceless.add(name)
    has_source = "source" in {c["name"] for c in inspector.get_columns("ballot")}
    sets = {key: c for c in (criteria or {}).values() for key in c.surveys}
    hold_tree(conn)
    paths = ancestors(conn, _office_ids(conn)) if subtrees else {}
    versions = _versions(conn)
    excluded = _excluded_ids(conn)
    ballots = Ballot.__table__.c  # type: ignore[attr-defined]
    counted = 0
    columns = (
        ballots.office_id,
        ballots.submitted_at,
        ballots.source if has_source else literal("open").label("source"),
    )
    for found, given in _with_answers(conn, columns, chunk):
        rows = [row for row in found if row.id not in excluded]
        batch = []
        for row in rows:
            survey = versions[(row.survey_key, row.survey_version)]
            derived = derive(survey, given[row.id], sets.get(row.survey_key))
            batch.append(
                Counted(
                    office_id=row.office_id,
                    survey_key=row.survey_key,
                    survey_version=row.survey_version,
                    submitted_at=row.submitted_at,
                    level=derived.level,
                    answers=given[row.id],
                    satisfaction=derived.satisfaction,
                    compared=derived.compared,
                    source=row.source or "open",
                )
            )
        add_to_tables(
            conn,
            batch,
            tables,
            paths,
            sourceless=frozenset(sourceless),
            questions_by_source=questions_by_source,
        )
        counted += len(rows)
    return counted


def _office_ids(conn: Connection) -> list[int]:
    return [row[0] for row in conn.execute(text("SELECT id FROM office"))]


def _versions(conn: Connection) -> dict[tuple[str, int], SurveyDefinition]:
    return {
        (row.key, row.version): SurveyDefinition.model_validate(row.definition)
        for row in conn.execute(select(SurveyVersion.__table__))  # type: ignore[attr-defined]
    }


def _with_answers(
    conn: Connection, columns: tuple[Any, ...], chunk: int
) -> Iterator[tuple[list[Any], dict[int, dict[str, int]]]]:
    """Every stored ballot in id order, ``chunk`` at a time (id, survey key and version, then
    ``columns``), each chunk with its ballots' answers."""
    ballots = Ballot.__table__.c  # type: ignore[attr-defined]
    answers = Answer.__table__.c  # type: ignore[attr-defined]
    last_id = 0
    while True:
        rows = conn.execute(
            select(ballots.id, ballots.survey_key, ballots.survey_version, *columns)
            .where(ballots.id > last_id)
            .order_by(ballots.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        given: dict[int, dict[str, int]] = {row.id: {} for row in rows}
        for ballot_id, question, value in conn.execute(
            select(answers.ballot_id, answers.question_key, answers.value).where(
                answers.ballot_id.in_(list(given))
            )
        ):
            given[ballot_id][question] = value
        yield list(rows), given


def _excluded_ids(conn: Connection) -> set[int]:
    """Ballots whose latest decision excludes them (none before exclusions existed)."""
    if not inspect(conn).has_table("exclusion"):
        return set()
    return {ballot_id for (ballot_id,) in conn.execute(excluded_ids())}


def backfill_levels(conn: Connection, chunk: int = 5000) -> int:
    """Give ballots stored before levels were kept their level (the migration that added it)."""
    versions = _versions(conn)
    ballots = Ballot.__table__  # type: ignore[attr-defined]
    done = 0
    for rows, given in _with_answers(conn, (), chunk):
        for row in rows:
            survey = versions[(row.survey_key, row.survey_version)]
            level = level_value(survey.classify(given[row.id]))
            conn.execute(ballots.update().where(ballots.c.id == row.id).values(level=level))
        done += len(rows)
    return done
