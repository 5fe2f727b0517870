"""Reading the rollups for many offices at once, summed into each office's sub-tree root.

Straight through the DBAPI cursor: a province overview reads thousands of rows, and going
through SQLAlchemy's result objects would cost more than the query itself. Only constant names
and placeholders go into the text; every value is bound."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session

from app.core.bulk import Bulk, bulk
from app.stats.maths import Moments, Tally, tally
from app.stats.periods import Period, segments
from app.stats.rollups import ANSWER_ROLLUP, BALLOT_ROW, CATEGORY_SUMS
from app.surveys.catalog import Comparison

Counted = dict[int, frozenset[str]]  # office id -> the sources its figures count


def tallies(
    session: Session,
    comparison: Comparison,
    period: Period,
    owner: dict[int, int],
    categories: dict[tuple[str, int], dict[int, str]],
    counted: Counted,
) -> dict[int, Tally]:
    """Counts by category over ``period`` for each root, summing the offices ``owner`` maps to
    it, each office's ballots of the sources ``counted`` names only (the others are tallied
    as ``uncounted``). Shared criteria come pre-summed across surveys (one row per office and
    question); one survey on its own comes from its answer, ballot and moment rollups."""
    out: dict[int, Tally] = defaultdict(Tally)
    if not owner:
        return out
    conn = session.connection()
    sql = bulk(conn)
    if comparison.shared:
        _compared(conn, sql, comparison, period, owner, counted, out)
    else:
        _survey(conn, sql, comparison, period, owner, categories, counted, out)
    return out


def _source(into: Tally, source: str, ballots: int, counts: bool) -> None:
    into.sources[source] = into.sources.get(source, 0) + ballots
    if not counts:
        into.uncounted[source] = into.uncounted.get(source, 0) + ballots


def _where(sql: Bulk, period: Period, office_ids: list[int]) -> tuple[str, list[Any]]:
    mark = sql.mark
    buckets, params = [], []
    for grain, first, last in segments(period):
        buckets.append(f"(grain = {mark} AND start >= {mark} AND start <= {mark})")
        params += [
            grain,
            *sql.row(ANSWER_ROLLUP, ("start",), {"start": first}),
            *sql.row(ANSWER_ROLLUP, ("start",), {"start": last}),
        ]
    where = f"office_id IN ({', '.join([mark] * len(office_ids))}) AND ({' OR '.join(buckets)})"
    return where, [*office_ids, *params]


def _compared(
    conn: Any,
    sql: Bulk,
    comparison: Comparison,
    period: Period,
    owner: dict[int, int],
    counted: Counted,
    out: dict[int, Tally],
) -> None:
    where, params = _where(sql, period, list(owner))
    rows = sql.fetch(
        conn,
        f"SELECT office_id, source, question_key, {', '.join(CATEGORY_SUMS)}, "  # noqa: S608
        "unclassified, ballots, n, k, kk, kn, nn FROM criteria_rollup "
        f"WHERE criteria = {sql.mark} AND {where}",
        [comparison.key, *params],
    )
    for office_id, source, question, *sums in rows:
        into = out[owner[office_id]]
        counts = source in counted[office_id]
        if question == BALLOT_ROW:
            _source(into, source, sum(int(v) for v in sums[:6]), counts)
            if counts:
                _add(into.ballots, sums)
                into.unclassified += sums[5]
                into.moments += Moments(*(int(v) for v in sums[6:]))
        elif counts:
            _add(into.answers.setdefault(question, {}), sums)


def _add(counts: dict[str, int], sums: list[Any]) -> None:
    for category, n in zip(CATEGORY_SUMS, sums, strict=False):
        if n:
            counts[category] = counts.get(category, 0) + int(n)


def _survey(
    conn: Any,
    sql: Bulk,
    comparison: Comparison,
    period: Period,
    owner: dict[int, int],
    categories: dict[tuple[str, int], dict[int, str]],
    counted: Counted,
    out: dict[int, Tally],
) -> None:
    keys = list(comparison.surveys)
    where, params = _where(sql, period, list(owner))
    where = f"survey_key IN ({', '.join([sql.mark] * len(keys))}) AND {where}"
    params = [*keys, *params]
    answers: dict[int, list[Any]] = defaultdict(list)
    ballots: dict[int, list[Any]] = defaultdict(list)
    # Rows of several buckets of one key are summed by ``tally``: a plain range scan of the
    # primary key is cheaper than a GROUP BY.
    for office_id, source, *row in sql.fetch(
        conn,
        "SELECT office_id, source, survey_key, survey_version, question_key, value, n "  # noqa: S608
        f"FROM answer_rollup WHERE {where}",
        params,
    ):
        if source in counted[office_id]:
            answers[owner[office_id]].append(row)
    by_source: list[tuple[int, str, int, bool]] = []  # root, source, ballots, counted
    for office_id, source, *row in sql.fetch(
        conn,
        "SELECT office_id, source, survey_key, survey_version, level, n "  # noqa: S608
        f"FROM ballot_rollup WHERE {where}",
        params,
    ):
        counts = source in counted[office_id]
        by_source.append((owner[office_id], source, int(row[-1]), counts))
        if counts:
            ballots[owner[office_id]].append(row)
    for root in set(answers) | set(ballots):
        out[root] = tally(categories, answers[root], ballots[root])
    for root, source, n, counts in by_source:
        _source(out[root], source, n, counts)
    for office_id, source, *sums in sql.fetch(
        conn,
        "SELECT office_id, source, ballots, n, k, kk, kn, nn FROM ballot_moments "  # noqa: S608
        f"WHERE {where} AND criteria = {sql.mark}",
        [*params, comparison.key],
    ):
        if source in counted[office_id]:
            into = out[owner[office_id]]
            into.moments += Moments(*(int(v) for v in sums))
