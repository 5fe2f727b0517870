"""Rollups: answer and ballot counts per office, survey version and local day, month and year.

They are written in the same transaction as the ballots they count (``add``), into the ballot's
office and every ancestor, so the figures read from them always equal a full recount of the raw
answers; ``app/stats/recount.py`` recounts from scratch (the migrations that introduced them,
and ``hailong stats rebuild``).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table

from app.core.bulk import bulk
from app.core.locale import to_local
from app.models import (
    AnswerRollup,
    BallotMoments,
    BallotRollup,
    CriteriaRollup,
)
from app.offices.paths import ancestors, share_tree
from app.surveys.definition import SATISFIED_OR_BETTER, CriteriaSet, Level, SurveyDefinition

ANSWER_ROLLUP: Table = AnswerRollup.__table__  # type: ignore[attr-defined]
BALLOT_ROLLUP: Table = BallotRollup.__table__  # type: ignore[attr-defined]
MOMENTS: Table = BallotMoments.__table__  # type: ignore[attr-defined]
COMPARED: Table = CriteriaRollup.__table__  # type: ignore[attr-defined]
MOMENTS_KEY = ("office_id", "survey_key", "grain", "start", "survey_version", "criteria", "source")
MOMENTS_SUMS = ("ballots", "n", "k", "kk", "kn", "nn")
ANSWER_KEY = (
    "office_id",
    "survey_key",
    "grain",
    "start",
    "survey_version",
    "question_key",
    "value",
    "source",
)
BALLOT_KEY = ("office_id", "survey_key", "grain", "start", "survey_version", "level", "source")
COMPARED_KEY = ("office_id", "criteria", "grain", "start", "question_key", "source")
CATEGORY_SUMS = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
COMPARED_SUMS = (*CATEGORY_SUMS, "unclassified", *MOMENTS_SUMS)
UNCLASSIFIED_SUM = len(CATEGORY_SUMS)
BALLOT_ROW = ""  # the compared rollup's row for the ballot itself, beside one per question
# The compared rollup's question rows count every source together: figures nearly always count
# every source, and a row per source doubled what a ranking reads. A policy leaving a source out
# reads that office's answers by source from the answer rollup instead (``reads``). The ballot
# rows stay by source: every figure names each source's ballots.
EVERY_SOURCE = "*"
ALL_TABLES = ("answers", "ballots", "moments", "compared")


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
    # (criteria, n answered, k satisfied or better): "" for all questions, and the shared set.
    satisfaction: tuple[tuple[str, int, int], ...] = ()
    compared: Compared | None = None
    source: str = "open"  # how it came (app/models/sources.py SOURCES)


@dataclass(frozen=True)
class Compared:
    """A ballot as the shared criteria it is compared on see it: the ballot's category (None:
    unclassified), each shared question's category, and how many of them were answered (n)
    and satisfied or better (k)."""

    criteria: str
    category: str | None
    answers: tuple[tuple[str, str], ...]
    n: int
    k: int


@dataclass(frozen=True)
class Derived:
    """What the counts take from a ballot's answers under its survey, worked out once."""

    level: int
    satisfaction: tuple[tuple[str, int, int], ...]
    compared: Compared | None


def derive(
    survey: SurveyDefinition, answers: dict[str, int], shared: CriteriaSet | None
) -> Derived:
    """A ballot's level, and what the satisfaction and criteria rollups count of it."""
    level = survey.classify(answers)
    return Derived(
        level=level_value(level),
        satisfaction=satisfaction(survey, answers, shared),
        compared=_compared(survey, answers, shared, level),
    )


def _compared(
    survey: SurveyDefinition,
    answers: dict[str, int],
    shared: CriteriaSet | None,
    level: Level | None,
) -> Compared | None:
    """What the criteria rollup counts of a ballot, or None when its survey shares no criteria."""
    if shared is None or survey.key not in shared.surveys:
        return None
    categories = survey.categories
    given = tuple(
        (q, categories[answers[q]]) for q in shared.questions if answers.get(q) in categories
    )
    good = sum(1 for _, category in given if category in SATISFIED_OR_BETTER)
    return Compared(
        shared.key, level.category if level is not None else None, given, len(given), good
    )


def satisfaction(
    survey: SurveyDefinition, answers: dict[str, int], shared: CriteriaSet | None
) -> tuple[tuple[str, int, int], ...]:
    """How many criteria a ballot answered and how many of them satisfied or better, over all
    the survey's questions and over the shared criteria it is compared on."""
    good = survey.satisfied_values

    def count(keys: Iterable[str]) -> tuple[int, int]:
        given = [answers[k] for k in keys if k in answers]
        return len(given), sum(1 for v in given if v in good)

    out = [("", *count(q.key for q in survey.questions))]
    if shared is not None and survey.key in shared.surveys:
        out.append((shared.key, *count(shared.questions)))
    return tuple((key, n, k) for key, n, k in out if n)


def level_value(level: Level | None) -> int:
    """A ballot's level as stored and counted: its value, or ``UNCLASSIFIED``."""
    return level.value if level is not None else UNCLASSIFIED


def _upsert(
    conn: Connection,
    table: Table,
    key: tuple[str, ...],
    counts: dict[Any, Any],
    sums: tuple[str, ...] = ("n",),
    *,
    sourceless: bool = False,
) -> None:
    """Add ``counts`` (one number, or a tuple of ``sums``, per key) to the stored rows.
    ``sourceless``: the table predates sources (a migration before 0010 recounting it)."""
    if not counts:
        return
    if sourceless:
        key, counts = key[:-1], _without_source(counts)
    sql = bulk(conn)
    columns = (*key, *sums)
    # Sorted, so concurrent writers lock the same rows in the same order and never deadlock.
    if len(sums) == 1:
        rows = sql.rows(table, columns, [(*k, v) for k, v in sorted(counts.items())])
    else:
        rows = sql.rows(table, columns, [(*k, *v) for k, v in sorted(counts.items())])
    added = ", ".join(f"{s} = {table.name}.{s} + excluded.{s}" for s in sums)
    sql.insert(conn, table, columns, rows, f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}")


def _without_source(counts: dict[Any, Any]) -> dict[Any, Any]:
    merged: dict[Any, Any] = {}
    for k, v in counts.items():
        if isinstance(v, tuple):
            before = merged.get(k[:-1], (0,) * len(v))
            merged[k[:-1]] = tuple(a + b for a, b in zip(before, v, strict=True))
        else:
            merged[k[:-1]] = merged.get(k[:-1], 0) + v
    return merged


def add(
    conn: Connection,
    ballots: Iterable[Counted],
    sign: int = 1,
    tables: tuple[str, ...] = ALL_TABLES,
) -> dict[int, tuple[int, ...]]:
    """Count ``ballots`` in (or, with ``sign=-1``, out of) the rollups of their offices and of
    every ancestor, in ``conn``'s transaction (``tables``: all but in benchmarks' loaders).
    Returns the offices' paths as read under the tree's lock, for ``add_counts`` to reuse."""
    ballots = list(ballots)
    if not ballots:
        return {}
    share_tree(conn)
    paths = ancestors(conn, {b.office_id for b in ballots})
    add_to_tables(conn, ballots, tables, paths, sign)
    return paths


def add_counts(
    conn: Connection,
    table: Table,
    key: tuple[str, ...],
    sums: tuple[str, ...],
    counts: dict[tuple[Any, ...], list[int]],
    paths: dict[int, tuple[int, ...]] | None = None,
) -> None:
    """Add ``counts`` (keys starting with the office id, a list of ``sums`` each) to the rows
    of the office and of every ancestor, as ``add`` does for ballots. ``paths``: the offices'
    paths already read under the tree's lock in this transaction (by ``add``), if all are."""
    counts = {k: v for k, v in counts.items() if any(v)}
    if not counts:
        return
    wanted = {k[0] for k in counts}
    if paths is None or not wanted <= paths.keys():
        share_tree(conn)
        paths = ancestors(conn, wanted)
    _upsert(conn, table, key, {k: tuple(v) for k, v in _up(counts, paths).items()}, sums)


def add_to_tables(
    conn: Connection,
    ballots: Iterable[Counted],
    tables: tuple[str, ...],
    paths: dict[int, tuple[int, ...]],
    sign: int = 1,
    sourceless: frozenset[str] = frozenset(),
    questions_by_source: bool = False,
) -> None:
    """``sourceless``: tables without a source column yet (migrations before 0010);
    ``questions_by_source``: the compared rollup's question rows as before 0015."""
    # Summed per office, survey, local day and source first (a batch's ballots mostly share
    # them), then each day's sums spread over the periods it is counted in: the periods
    # multiply a batch's days, not its ballots.
    days: dict[tuple[int, str, int, date, str], _Day] = {}
    for ballot in ballots:
        local = to_local(ballot.submitted_at).date()
        at = (ballot.office_id, ballot.survey_key, ballot.survey_version, local, ballot.source)
        day = days.get(at) or days.setdefault(at, _Day())
        day.levels[ballot.level] += sign
        for answer in ballot.answers.items():
            day.answers[answer] += sign
        for criteria, n, k in ballot.satisfaction:
            _add_terms(day.moments.setdefault(criteria, [0] * 6), 0, n, k, sign)
        if ballot.compared is not None:
            source = ballot.source
            _count_compared(day.compared, ballot.compared, sign, source, questions_by_source)
    answers: Counter[tuple[Any, ...]] = Counter()
    levels: Counter[tuple[Any, ...]] = Counter()
    moments: dict[tuple[Any, ...], list[int]] = {}
    shared: dict[tuple[Any, ...], list[int]] = {}
    for (office_id, survey_key, version, local, source), day in days.items():
        for grain, start in buckets(local):
            head = (office_id, survey_key, grain, start, version)
            for level, n in day.levels.items():
                levels[(*head, level, source)] += n
            for (question, value), n in day.answers.items():
                answers[(*head, question, value, source)] += n
            for criteria, sums in day.moments.items():
                _add_sums(moments, (*head, criteria, source), sums)
            for (criteria, question, kept), sums in day.compared.items():
                _add_sums(shared, (office_id, criteria, grain, start, question, kept), sums)
    # Summed per office first, then added to each ancestor: a batch's rows, not its ballots,
    # are what the tree multiplies.
    answers, levels = _up(answers, paths), _up(levels, paths)
    moments, shared = _up(moments, paths), _up(shared, paths)
    # Sent together on PostgreSQL, in this order (the rows locked in the same order by every
    # writer), answered together: three round trips fewer a batch for the writer, whose every
    # round trip waits for the interpreter lock when it returns.
    with bulk(conn).overlapped(conn):
        if "answers" in tables:
            _upsert(conn, ANSWER_ROLLUP, ANSWER_KEY, answers, sourceless="answers" in sourceless)
        if "ballots" in tables:
            _upsert(conn, BALLOT_ROLLUP, BALLOT_KEY, levels, sourceless="ballots" in sourceless)
        if "moments" in tables:
            counts = {k: tuple(v) for k, v in moments.items()}
            _upsert(
                conn, MOMENTS, MOMENTS_KEY, counts, MOMENTS_SUMS, sourceless="moments" in sourceless
            )
        if "compared" in tables:
            counts = {k: tuple(v) for k, v in shared.items()}
            _upsert(
                conn,
                COMPARED,
                COMPARED_KEY,
                counts,
                COMPARED_SUMS,
                sourceless="compared" in sourceless,
            )


def _up(counts: dict[tuple[Any, ...], Any], paths: dict[int, tuple[int, ...]]) -> Any:
    """Each count added to its office's ancestors too (keys start with the office id)."""
    out: dict[tuple[Any, ...], Any] = dict(counts)  # the offices' own rows, already summed
    for key, value in counts.items():
        rest = key[1:]
        for office in paths.get(key[0], key[:1])[1:]:
            at = (office, *rest)
            before = out.get(at)
            if before is None:
                out[at] = value
            elif isinstance(value, list):
                out[at] = list(map(operator.add, before, value))
            else:
                out[at] = before + value
    return out


@dataclass
class _Day:
    """A batch's ballots of one office, survey version, local day and source, summed."""

    levels: Counter[int] = field(default_factory=Counter)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    moments: dict[str, list[int]] = field(default_factory=dict)
    compared: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)


def _add_terms(row: list[int], at: int, n: int, k: int, sign: int) -> None:
    """A ballot's moments (of ``n`` criteria answered, ``k`` satisfied) into ``row[at:]``."""
    for i, term in enumerate((1, n, k, k * k, k * n, n * n), start=at):
        row[i] += sign * term


def _add_sums(
    rows: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], sums: list[int]
) -> None:
    before = rows.get(key)
    if before is None:
        rows[key] = list(sums)
    else:
        rows[key] = list(map(operator.add, before, sums))


def _count_compared(
    rows: dict[tuple[str, str, str], list[int]],
    ballot: Compared,
    sign: int,
    source: str,
    by_source: bool = False,
) -> None:
    """A ballot into its day's compared rows, keyed (criteria, question, source): the ballot's
    own row by source, its questions' rows over every source (unless ``by_source``)."""
    kept = source if by_source else EVERY_SOURCE
    size = len(COMPARED_SUMS)
    for question, category in ballot.answers:
        row = rows.get((ballot.criteria, question, kept))
        if row is None:
            row = rows[(ballot.criteria, question, kept)] = [0] * size
        row[CATEGORY_SUMS.index(category)] += sign
    mine = rows.setdefault((ballot.criteria, BALLOT_ROW, source), [0] * size)
    at = CATEGORY_SUMS.index(ballot.category) if ballot.category else UNCLASSIFIED_SUM
    mine[at] += sign
    if ballot.n:
        _add_terms(mine, UNCLASSIFIED_SUM + 1, ballot.n, ballot.k, sign)
