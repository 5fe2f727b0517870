"""Recount rollups from raw answers, the slow and obvious way, to check the fast one."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, select

from app.core.timeutil import to_local
from app.models import Answer, AnswerRollup, Ballot, BallotRollup, SurveyVersion
from app.surveys.definition import SurveyDefinition


def recount(conn: Connection) -> tuple[Counter[Any], Counter[Any]]:
    versions = {
        (v.key, v.version): SurveyDefinition.model_validate(v.definition)
        for v in conn.execute(select(SurveyVersion.__table__))  # type: ignore[attr-defined]
    }
    given: dict[int, dict[str, int]] = {}
    for ballot_id, question, value in conn.execute(
        select(Answer.ballot_id, Answer.question_key, Answer.value)
    ):
        given.setdefault(ballot_id, {})[question] = value
    answers: Counter[Any] = Counter()
    levels: Counter[Any] = Counter()
    for b in conn.execute(select(Ballot.__table__)):  # type: ignore[attr-defined]
        day = to_local(b.submitted_at).date()
        head = (b.office_id, b.survey_key, b.survey_version, day)
        mine = given.get(b.id, {})
        level = versions[(b.survey_key, b.survey_version)].classify(mine)
        levels[(*head, level.value if level else 0)] += 1
        for question, value in mine.items():
            answers[(*head, question, value)] += 1
    return answers, levels


def stored(conn: Connection) -> tuple[Counter[Any], Counter[Any]]:
    answers: Counter[Any] = Counter()
    levels: Counter[Any] = Counter()
    for r in conn.execute(select(AnswerRollup.__table__)):  # type: ignore[attr-defined]
        if r.n:
            answers[
                (r.office_id, r.survey_key, r.survey_version, r.day, r.question_key, r.value)
            ] = r.n
    for r in conn.execute(select(BallotRollup.__table__)):  # type: ignore[attr-defined]
        if r.n:
            levels[(r.office_id, r.survey_key, r.survey_version, r.day, r.level)] = r.n
    return answers, levels
