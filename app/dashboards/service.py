"""What the dashboards show beyond the summary: the trend over the period and the latest
comments."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from app.models import Ballot
from app.stats.periods import Period
from app.stats.rollups import ANSWER_ROLLUP, BALLOT_ROLLUP
from app.surveys.definition import SATISFIED_OR_BETTER, SurveyDefinition

BALLOT = Ballot.__table__  # type: ignore[attr-defined]


@dataclass
class Point:
    start: date
    ballots: int
    headline: float | None  # satisfied or better over the answers of that day or week


def trend(
    session: Session,
    office_ids: list[int],
    survey: SurveyDefinition,
    versions: dict[int, SurveyDefinition],
    period: Period,
) -> list[Point]:
    """Daily points, or weekly ones (Mondays) when the period is longer than two months."""
    weekly = period.days > 62
    conn = session.connection()
    a, b = ANSWER_ROLLUP.c, BALLOT_ROLLUP.c
    answers: dict[date, Counter[bool]] = defaultdict(Counter)
    for day, version, value, n in conn.execute(
        sa.select(a.day, a.survey_version, a.value, sa.func.sum(a.n))
        .where(a.survey_key == survey.key, a.day >= period.start, a.day <= period.end)
        .where(a.office_id.in_(office_ids))
        .group_by(a.day, a.survey_version, a.value)
    ):
        level = versions[version].scale.level(value) if version in versions else None
        if level is not None:
            answers[_bucket(day, weekly)][level.category in SATISFIED_OR_BETTER] += int(n)
    ballots: Counter[date] = Counter()
    for day, n in conn.execute(
        sa.select(b.day, sa.func.sum(b.n))
        .where(b.survey_key == survey.key, b.day >= period.start, b.day <= period.end)
        .where(b.office_id.in_(office_ids))
        .group_by(b.day)
    ):
        ballots[_bucket(day, weekly)] += int(n)
    points = []
    start = _bucket(period.start, weekly)
    step = timedelta(days=7 if weekly else 1)
    while start <= period.end:
        counts = answers.get(start, Counter())
        total = counts[True] + counts[False]
        points.append(Point(start, ballots[start], counts[True] / total if total else None))
        start += step
    return points


def _bucket(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


@dataclass
class Comment:
    submitted_at: datetime
    office_name: str
    text: str


def latest_comments(
    session: Session, office_ids: list[int], names: dict[int, str], period: Period, limit: int = 10
) -> list[Comment]:
    start, end = period.bounds_utc()
    rows = session.connection().execute(
        sa.select(BALLOT.c.submitted_at, BALLOT.c.office_id, BALLOT.c.comment)
        .where(BALLOT.c.office_id.in_(office_ids))
        .where(BALLOT.c.submitted_at >= start, BALLOT.c.submitted_at < end)
        .where(BALLOT.c.comment.is_not(None))
        .order_by(BALLOT.c.submitted_at.desc())
        .limit(limit)
    )
    return [Comment(at, names.get(office_id, ""), text) for at, office_id, text in rows]
