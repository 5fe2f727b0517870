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


def tallies(
    session: Session,
    comparison: Comparison,
    period: Period,
    owner: dict[int, int],
    categories: dict[tuple[str, int], dict[int, str]],
) -> dict[int, Tally]:
    """Counts by category over ``period`` for each root, summing the offices ``owner`` maps to
    it. Shared criteria come pre-summed across surveys (one row per office and question);
    one survey on its own comes from its answer, ballot and moment rollups."""
    out: dict[int, Tally] = defaultdict(Tally)
    if not owner:
        return out
    conn = session.connection()
    sql = bulk(conn)
    if comparison.shared:
        _compared(conn, sql, comparison, period, owner, out)
    else:
        _survey(conn, sql, comparison, period, owner, categories, out)
    return out


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
    out: dict[int, Tally],
) -> None:
    where, params = _where(sql, period, list(owner))
    rows = sql.fetch(
        conn,
        f"SELECT office_id, question_key, {', '.join(CATEGORY_SUMS)}, unclassified, "  # noqa: S608
        f"ballots, n, k, kk, kn, nn FROM criteria_rollup WHERE criteria = {sql.mark} AND {where}",
        [comparison.key, *params],
    )
    for office_id, question, *sums in rows:
        into = out[owner[office_id]]
        if question == BALLOT_ROW:
            _add(into.ballots, sums)
            into.unclassified += sums[5]
            into.moments += Moments(*(int(v) for v in sums[6:]))
        else:
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
    for office_id, *row in sql.fetch(
        conn,
        "SELECT office_id, survey_key, survey_version, question_key, value, n "  # noqa: S608
        f"FROM answer_rollup WHERE {where}",
        params,
    ):
        answers[owner[office_id]].append(row)
    for office_id, *row in sql.fetch(
        conn,
        "SELECT office_id, survey_key, survey_version, level, n "  # noqa: S608
        f"FROM ballot_rollup WHERE {where}",
        params,
    ):
        ballots[owner[office_id]].append(row)
    for root in set(answers) | set(ballots):
        out[root] = tally(categories, answers[root], ballots[root])
    for office_id, *sums in sql.fetch(
        conn,
        "SELECT office_id, ballots, n, k, kk, kn, nn FROM ballot_moments "  # noqa: S608
        f"WHERE {where} AND criteria = {sql.mark}",
        [*params, comparison.key],
    ):
        into = out[owner[office_id]]
        into.moments += Moments(*(int(v) for v in sums))
