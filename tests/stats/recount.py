"""Recount rollups from raw answers, the slow and obvious way, to check the fast one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from app.core.locale import to_local
from app.models import (
    Answer,
    AnswerRollup,
    Ballot,
    BallotMoments,
    BallotRollup,
    CriteriaRollup,
    Exclusion,
    Office,
    SurveyVersion,
)
from app.surveys.definition import SATISFIED_OR_BETTER, SurveyDefinition


def _counted_ballots(conn: Connection) -> Iterator[tuple[Any, SurveyDefinition, dict[str, int]]]:
    """Every ballot the figures count (not excluded by its latest decision), with its survey
    version and its answers."""
    versions = {
        (v.key, v.version): SurveyDefinition.model_validate(v.definition)
        for v in conn.execute(select(SurveyVersion.__table__))  # type: ignore[attr-defined]
    }
    given: dict[int, dict[str, int]] = {}
    for ballot_id, question, value in conn.execute(
        select(Answer.ballot_id, Answer.question_key, Answer.value)
    ):
        given.setdefault(ballot_id, {})[question] = value
    decisions: dict[int, bool] = {}
    for ballot_id, excluded in conn.execute(
        select(Exclusion.ballot_id, Exclusion.excluded).order_by(Exclusion.id)
    ):
        decisions[ballot_id] = excluded  # the latest decision stands
    for b in conn.execute(select(Ballot.__table__)):  # type: ignore[attr-defined]
        if not decisions.get(b.id):
            yield b, versions[(b.survey_key, b.survey_version)], given.get(b.id, {})


def _subtrees(conn: Connection, counts: Counter[Any]) -> Counter[Any]:
    """Each office's counts added to every ancestor's too: an office's rows count its whole
    sub-tree. Paths walked here from the parent ids, apart from the app's own query."""
    parent = dict(conn.execute(select(Office.id, Office.parent_id)).all())  # type: ignore[call-overload]
    out: Counter[Any] = Counter()
    for key, n in counts.items():
        office: int | None = key[0]
        while office is not None:
            out[(office, *key[1:])] += n
            office = parent.get(office)
    return +out


def _buckets(moment: Any) -> tuple[tuple[str, date], ...]:
    day = to_local(moment).date()
    return (("d", day), ("m", day.replace(day=1)), ("y", day.replace(month=1, day=1)))


def recount(conn: Connection) -> tuple[Counter[Any], Counter[Any]]:
    answers: Counter[Any] = Counter()
    levels: Counter[Any] = Counter()
    for b, survey, mine in _counted_ballots(conn):
        level = survey.classify(mine)
        for grain, start in _buckets(b.submitted_at):
            head = (b.office_id, b.survey_key, grain, start, b.survey_version)
            source = b.source or "open"
            levels[(*head, level.value if level else 0, source)] += 1
            for question, value in mine.items():
                answers[(*head, question, value, source)] += 1
    return _subtrees(conn, answers), _subtrees(conn, levels)


def stored(conn: Connection) -> tuple[Counter[Any], Counter[Any]]:
    answers: Counter[Any] = Counter()
    levels: Counter[Any] = Counter()
    for r in conn.execute(select(AnswerRollup.__table__)):  # type: ignore[attr-defined]
        if r.n:
            key = (r.office_id, r.survey_key, r.grain, r.start, r.survey_version)
            answers[(*key, r.question_key, r.value, r.source)] = r.n
    for r in conn.execute(select(BallotRollup.__table__)):  # type: ignore[attr-defined]
        if r.n:
            key = (r.office_id, r.survey_key, r.grain, r.start, r.survey_version)
            levels[(*key, r.level, r.source)] = r.n
    return answers, levels


def recount_moments(conn: Connection, criteria: dict[str, Any]) -> Counter[Any]:
    """Per bucket and criteria set: ballots, Σn, Σk, Σk², Σkn, Σn², counted ballot by ballot."""
    sets = {key: c for c in criteria.values() for key in c.surveys}
    out: Counter[Any] = Counter()
    for b, survey, mine in _counted_ballots(conn):
        good = {lv.value for lv in survey.scale.levels if lv.category in SATISFIED_OR_BETTER}
        groups = {"": [q.key for q in survey.questions]}
        if b.survey_key in sets:
            groups[sets[b.survey_key].key] = list(sets[b.survey_key].questions)
        for name, keys in groups.items():
            n = sum(1 for k in keys if k in mine)
            k = sum(1 for q in keys if mine.get(q) in good)
            if not n:
                continue
            for grain, start in _buckets(b.submitted_at):
                head = (b.office_id, b.survey_key, grain, start, b.survey_version, name)
                head = (*head, b.source or "open")
                for i, term in enumerate((1, n, k, k * k, k * n, n * n)):
                    out[(*head, i)] += term
    return _subtrees(conn, out)


def stored_moments(conn: Connection) -> Counter[Any]:
    out: Counter[Any] = Counter()
    for r in conn.execute(select(BallotMoments.__table__)):  # type: ignore[attr-defined]
        head = (r.office_id, r.survey_key, r.grain, r.start, r.survey_version, r.criteria)
        head = (*head, r.source)
        for i, term in enumerate((r.ballots, r.n, r.k, r.kk, r.kn, r.nn)):
            out[(*head, i)] += term
    return +out


CATEGORIES = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")


def recount_compared(conn: Connection, criteria: dict[str, Any]) -> Counter[Any]:
    """Per bucket, shared criteria set and question: answers by category; and per bucket and
    set (question ""): ballots by category ("unclassified" too) and the moments, counted ballot
    by ballot from the raw answers."""
    sets = {key: c for c in criteria.values() for key in c.surveys}
    out: Counter[Any] = Counter()
    for b, survey, mine in _counted_ballots(conn):
        shared = sets.get(b.survey_key)
        if shared is None:
            continue
        level = survey.classify(mine)
        answered = {q: survey.scale.level(mine[q]) for q in shared.questions if q in mine}
        n = len(answered)
        k = sum(1 for lv in answered.values() if lv and lv.category in SATISFIED_OR_BETTER)
        for grain, start in _buckets(b.submitted_at):
            head = (b.office_id, shared.key, grain, start)
            source = b.source or "open"
            for question, lv in answered.items():  # every source together (0015)
                out[(*head, question, "*", lv.category if lv else "?")] += 1
            out[(*head, "", source, level.category if level else "unclassified")] += 1
            if n:
                for name, term in zip(
                    ("ballots", "n", "k", "kk", "kn", "nn"),
                    (1, n, k, k * k, k * n, n * n),
                    strict=True,
                ):
                    out[(*head, "", source, name)] += term
    return _subtrees(conn, out)


def stored_compared(conn: Connection) -> Counter[Any]:
    out: Counter[Any] = Counter()
    sums = (*CATEGORIES, "unclassified", "ballots", "n", "k", "kk", "kn", "nn")
    for r in conn.execute(select(CriteriaRollup.__table__)):  # type: ignore[attr-defined]
        head = (r.office_id, r.criteria, r.grain, r.start, r.question_key, r.source)
        for name in sums:
            out[(*head, name)] += getattr(r, name)
    return +out


def stored_dossiers(conn: Connection) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """The dossier counts' rows that count something (a dossier counted out leaves zeros)."""
    from app.stats.dossier_rollup import DOSSIER_ROLLUP

    rows = conn.execute(select(DOSSIER_ROLLUP)).all()
    return {tuple(r[:6]): tuple(r[6:]) for r in rows if any(r[6:])}
