"""What the dashboards show beyond the summary: the trend over the period and the latest
comments."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from app.core.bulk import any_of
from app.models import Ballot
from app.stats.counted import excluded_ids
from app.stats.periods import Period
from app.stats.rollups import ANSWER_ROLLUP, BALLOT_ROLLUP
from app.surveys.catalog import Comparison
from app.surveys.definition import SATISFIED_OR_BETTER, SurveyDefinition

BALLOT = Ballot.__table__  # type: ignore[attr-defined]


@dataclass
class Point:
    start: date
    ballots: int
    headline: float | None  # satisfied or better over the answers of that day or week


def trend(
    session: Session,
    office_id: int,
    comparison: Comparison,
    versions: dict[tuple[str, int], SurveyDefinition],
    period: Period,
) -> list[Point]:
    """Daily points, or monthly ones when the period is longer than two months (read from the
    month rollups, so a year's trend costs what a month's does), of the office's sub-tree: its
    own rollup rows count the whole of it."""
    grain = grain_of(period)
    first = period.start.replace(day=1) if grain == "m" else period.start
    conn = session.connection()
    a, b = ANSWER_ROLLUP.c, BALLOT_ROLLUP.c
    answers: dict[date, Counter[bool]] = defaultdict(Counter)
    keys = list(comparison.surveys)
    answers_of = sa.select(a.start, a.survey_key, a.survey_version, a.value, sa.func.sum(a.n))
    if comparison.shared:
        answers_of = answers_of.where(a.question_key.in_(comparison.questions))
    for start, key, version, value, n in conn.execute(
        answers_of.where(a.survey_key.in_(keys), a.grain == grain)
        .where(a.start >= first, a.start <= period.end, a.office_id == office_id)
        .group_by(a.start, a.survey_key, a.survey_version, a.value)
    ):
        survey = versions.get((key, version))
        level = survey.scale.level(value) if survey is not None else None
        if level is not None:
            answers[start][level.category in SATISFIED_OR_BETTER] += int(n)
    ballots: Counter[date] = Counter()
    for start, n in conn.execute(
        sa.select(b.start, sa.func.sum(b.n))
        .where(b.survey_key.in_(keys), b.grain == grain)
        .where(b.start >= first, b.start <= period.end, b.office_id == office_id)
        .group_by(b.start)
    ):
        ballots[start] += int(n)
    points = []
    start = first
    while start <= period.end:
        counts = answers.get(start, Counter())
        total = counts[True] + counts[False]
        points.append(Point(start, ballots[start], counts[True] / total if total else None))
        start = _next(start, grain)
    return points


def grain_of(period: Period) -> str:
    """The trend's points: days ("d"), or months ("m") when the period is longer than two."""
    return "m" if period.days > 62 else "d"


def _next(start: date, grain: str) -> date:
    if grain == "d":
        return start + timedelta(days=1)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


@dataclass
class Comment:
    submitted_at: datetime
    office_name: str
    text: str


def latest_comments(
    session: Session,
    office_ids: list[int],
    names: dict[int, str],
    period: Period,
    surveys: tuple[str, ...],
    limit: int = 10,
) -> list[Comment]:
    """The newest comments of the ballots the figures count: the surveys compared, not
    excluded."""
    start, end = period.bounds_utc()
    conn = session.connection()
    rows = conn.execute(
        sa.select(BALLOT.c.submitted_at, BALLOT.c.office_id, BALLOT.c.comment)
        .where(any_of(conn, BALLOT.c.office_id, office_ids), BALLOT.c.survey_key.in_(surveys))
        .where(BALLOT.c.id.not_in(excluded_ids()))
        .where(BALLOT.c.submitted_at >= start, BALLOT.c.submitted_at < end)
        .where(BALLOT.c.comment.is_not(None))
        .order_by(BALLOT.c.submitted_at.desc())
        .limit(limit)
    )
    return [Comment(at, names.get(office_id, ""), text) for at, office_id, text in rows]
