"""Reading the rollups of a few sub-trees at once.

Each office's rollup rows count its whole sub-tree (``rollups.add``), so a sub-tree's figures are
its root's rows: a national ranking reads 34 provinces' rows, not 10,000 units'. One thing the
rows cannot do alone is an office counting other ballot sources than its parent (its policy):
its rows are read too, taken out under the parent's policy and put back under its own.

Straight through the DBAPI cursor: going through SQLAlchemy's result objects would cost more than
the query itself. Only constant names and placeholders go into the text; every value is bound."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from app.core.bulk import Bulk, bulk
from app.offices.tree import ALL_SOURCES, Tree
from app.stats.maths import POSITION, Moments, Tally, tally
from app.stats.periods import Period, segments, today
from app.stats.rollups import ANSWER_ROLLUP, BALLOT_ROW, CATEGORY_SUMS, COMPARED_SUMS
from app.surveys.catalog import Comparison

# office read -> [(root it counts for, [(sign, sources counted)])]: +1 under its own policy,
# and for a policy break also -1 under its parent's (whose rows already hold its ballots).
Terms = dict[int, list[tuple[int, list[tuple[int, frozenset[str]]]]]]
NONE = Moments()


def tallies_later(
    session: Session,
    comparison: Comparison,
    period: Period,
    tree: Tree,
    roots: list[int],
    categories: dict[tuple[str, int], dict[int, str]],
) -> Callable[[], dict[int, Tally]]:
    """Counts by category over ``period`` for each root's sub-tree, each office's ballots of the
    sources its policy counts only (the others are tallied as ``uncounted``). Shared criteria
    come pre-summed across surveys (one row per office and question); one survey on its own
    comes from its answer, ballot and moment rollups.

    The statement is sent now and its rows read when the result is called: inside
    ``Bulk.overlapped`` the server meanwhile runs what is sent after it."""
    out: dict[int, Tally] = defaultdict(Tally)
    if not roots:
        return lambda: out
    terms: Terms = {}
    for office_id, over in tree.regions(roots).items():
        parent = tree.offices[office_id][2]
        terms[office_id] = [
            (root, [(1, tree.counted(office_id))])
            if office_id == root or parent is None
            else (root, [(1, tree.counted(office_id)), (-1, tree.counted(parent))])
            for root in over
        ]
    conn = session.connection()
    sql = bulk(conn)
    if not comparison.shared:
        _survey(conn, sql, comparison, period, terms, categories, out)
        return lambda: out
    rows = _compared(conn, sql, comparison, period, terms)

    def counted() -> dict[int, Tally]:
        _sum_compared(conn, sql, comparison, period, rows(), terms, categories, out)
        return out

    return counted


def _source(into: Tally, source: str, ballots: int, counted: bool, sign: int) -> None:
    if not counted:
        into.uncounted[source] = into.uncounted.get(source, 0) + sign * ballots


def _sources(into: Tally, source: str, ballots: int) -> None:
    into.sources[source] = into.sources.get(source, 0) + ballots


def where_period(sql: Bulk, period: Period, office_ids: list[int]) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of a rollup's rows for ``office_ids`` over
    ``period``, in the coarsest buckets."""
    buckets, params = in_buckets(sql, period)
    match, ids = sql.one_of("office_id", office_ids)
    return f"{match} AND {buckets}", [*ids, *params]


def in_buckets(sql: Bulk, period: Period, *, exact: bool = False) -> tuple[str, list[Any]]:
    """A rollup row in the buckets of ``period``, coarsest first. A period reaching today is
    read to the end of its year (``segments``) unless ``exact``."""
    mark = sql.mark
    buckets, params = [], []
    for grain, first, last in segments(period, known_until=None if exact else today()):
        buckets.append(f"(grain = {mark} AND start >= {mark} AND start <= {mark})")
        params += [
            grain,
            *sql.row(ANSWER_ROLLUP, ("start",), {"start": first}),
            *sql.row(ANSWER_ROLLUP, ("start",), {"start": last}),
        ]
    return f"({' OR '.join(buckets)})", params


# A compared row as ``_compared`` reads it: its key, then COMPARED_SUMS; read through these
# places (per-row Python was most of a ranking's time, and slices are made in C).
OFFICE, SOURCE, QUESTION = range(3)
SUMS = slice(3, None)
CATEGORIES = slice(3, 3 + len(CATEGORY_SUMS))  # a question's five categories
COUNTED = slice(3, 3 + COMPARED_SUMS.index("unclassified") + 1)  # a ballot's, with unclassified
# Within the sums.
UNCLASSIFIED = COMPARED_SUMS.index("unclassified")
MOMENTS = slice(COMPARED_SUMS.index("ballots"), None)


def _compared(
    conn: Any, sql: Bulk, comparison: Comparison, period: Period, terms: Terms
) -> Callable[[], list[Any]]:
    where, params = where_period(sql, period, list(terms))
    return sql.send(
        conn,
        f"SELECT office_id, source, question_key, {', '.join(COMPARED_SUMS)} "  # noqa: S608 - the layout above
        f"FROM criteria_rollup WHERE criteria = {sql.mark} AND {where}",
        [comparison.key, *params],
    )


def _sum_compared(
    conn: Any,
    sql: Bulk,
    comparison: Comparison,
    period: Period,
    rows: list[Any],
    terms: Terms,
    categories: dict[tuple[str, int], dict[int, str]],
    out: dict[int, Tally],
) -> None:
    # Summed as lists (map in C) and made into the tally's dicts once, at the end: a province's
    # 300 units are some 2,400 rows, and per-row Python was most of the ranking's time.
    answers: dict[int, dict[str, list[int]]] = defaultdict(dict)
    ballots: dict[int, list[int]] = {}
    # The question rows count every source: an office read under a policy leaving one out has
    # its answers read by source from the answer rollup instead (``_answers_by_source``).
    partial = {
        office_id
        for office_id, over in terms.items()
        if any(not counted >= ALL_SOURCES for _, signs in over for _, counted in signs)
    }
    # Nearly every office read is a root counting every source, read for itself alone.
    plain = {
        o
        for o, t in terms.items()
        if o not in partial and len(t) == 1 == len(t[0][1]) and t[0][0] == o
    }
    add = operator.add
    for row in rows:
        office_id, source, question = row[OFFICE], row[SOURCE], row[QUESTION]
        if office_id not in plain:
            _row_by_row(row, terms[office_id], office_id in partial, answers, ballots, out)
        elif question != BALLOT_ROW:
            mine = answers[office_id]
            before = mine.get(question)
            counts = row[CATEGORIES]
            mine[question] = list(counts) if before is None else list(map(add, before, counts))
        else:
            _sources(out[office_id], source, sum(row[COUNTED]))
            before = ballots.get(office_id)
            sums = row[SUMS]
            ballots[office_id] = list(sums) if before is None else list(map(add, before, sums))
    if partial:
        _answers_by_source(conn, sql, comparison, period, terms, partial, categories, answers)
    for root, per in answers.items():
        out[root].answers.update(per)
    for root, sums in ballots.items():
        into = out[root]
        into.ballots = _by_category(sums)
        into.unclassified += sums[UNCLASSIFIED]
        moments = Moments(*sums[MOMENTS])
        into.moments = moments if into.moments == NONE else into.moments + moments


def _row_by_row(
    row: Any,
    terms: list[tuple[int, list[tuple[int, frozenset[str]]]]],
    partial: bool,
    answers: dict[int, dict[str, list[int]]],
    ballots: dict[int, list[int]],
    out: dict[int, Tally],
) -> None:
    """One row of an office read for several roots, or under a policy break, or leaving a
    source out: added under each root and policy reading it, with its sign."""
    office_id, source, question, sums = row[OFFICE], row[SOURCE], row[QUESTION], list(row[SUMS])
    if question != BALLOT_ROW:
        if not partial:  # every policy reading it counts every source
            for root, signs in terms:
                for sign, _ in signs:
                    mine = answers[root]
                    mine[question] = _plus(mine.get(question), sums[: len(CATEGORY_SUMS)], sign)
        return
    for root, signs in terms:
        if office_id == root:
            _sources(out[root], source, sum(sums[: UNCLASSIFIED + 1]))
        for sign, counted in signs:
            if source in counted:
                ballots[root] = _plus(ballots.get(root), sums, sign)
            else:
                _source(out[root], source, sum(sums[: UNCLASSIFIED + 1]), False, sign)


def _answers_by_source(
    conn: Any,
    sql: Bulk,
    comparison: Comparison,
    period: Period,
    terms: Terms,
    offices: set[int],
    categories: dict[tuple[str, int], dict[int, str]],
    answers: dict[int, dict[str, list[int]]],
) -> None:
    """The shared questions' answers of ``offices`` by category, each source under each policy
    reading them, from the answer rollup: what the compared rollup would hold by source."""
    keys, questions = list(comparison.surveys), list(comparison.questions)
    where, params = where_period(sql, period, sorted(offices))
    for office_id, source, key, version, question, value, n in sql.fetch(
        conn,
        "SELECT office_id, source, survey_key, survey_version, question_key, value, n "  # noqa: S608
        f"FROM answer_rollup WHERE survey_key IN ({', '.join([sql.mark] * len(keys))}) "
        f"AND question_key IN ({', '.join([sql.mark] * len(questions))}) AND {where}",
        [*keys, *questions, *params],
    ):
        category = categories.get((key, version), {}).get(value)
        if category is None:
            continue
        for root, signs in terms[office_id]:
            for sign, counted in signs:
                if source in counted:
                    counts = answers[root].setdefault(question, [0] * len(CATEGORY_SUMS))
                    counts[POSITION[category]] += sign * int(n)


def _plus(total: list[int] | None, sums: list[Any], sign: int) -> list[int]:
    if sign < 0:
        sums = [-v for v in sums]
    return list(sums) if total is None else list(map(operator.add, total, sums))


def _by_category(counts: list[int]) -> dict[str, int]:
    if all(counts[: len(CATEGORY_SUMS)]):  # the usual case, built in C
        return dict(zip(CATEGORY_SUMS, counts, strict=False))
    return {c: n for c, n in zip(CATEGORY_SUMS, counts, strict=False) if n}


def _survey(
    conn: Any,
    sql: Bulk,
    comparison: Comparison,
    period: Period,
    terms: Terms,
    categories: dict[tuple[str, int], dict[int, str]],
    out: dict[int, Tally],
) -> None:
    keys = list(comparison.surveys)
    where, params = where_period(sql, period, list(terms))
    where = f"survey_key IN ({', '.join([sql.mark] * len(keys))}) AND {where}"
    params = [*keys, *params]
    answers: dict[int, list[Any]] = defaultdict(list)
    ballots: dict[int, list[Any]] = defaultdict(list)
    # Rows of several buckets of one key are summed by ``tally``: a plain range scan of the
    # primary key is cheaper than a GROUP BY.
    for office_id, source, *row, n in sql.fetch(
        conn,
        "SELECT office_id, source, survey_key, survey_version, question_key, value, n "  # noqa: S608
        f"FROM answer_rollup WHERE {where}",
        params,
    ):
        for root, signs in terms[office_id]:
            for sign, counted in signs:
                if source in counted:
                    answers[root].append((*row, sign * int(n)))
    by_source: list[tuple[int, str, int, bool, int]] = []  # root, source, ballots, counted, sign
    for office_id, source, *row, n in sql.fetch(
        conn,
        "SELECT office_id, source, survey_key, survey_version, level, n "  # noqa: S608
        f"FROM ballot_rollup WHERE {where}",
        params,
    ):
        for root, signs in terms[office_id]:
            if office_id == root:
                by_source.append((root, source, int(n), True, 0))
            for sign, counted in signs:
                counts = source in counted
                by_source.append((root, source, int(n), counts, sign))
                if counts:
                    ballots[root].append((*row, sign * int(n)))
    for root in set(answers) | set(ballots):
        out[root] = tally(categories, answers[root], ballots[root])
    for root, source, n, counts, sign in by_source:
        if sign == 0:
            _sources(out[root], source, n)
        else:
            _source(out[root], source, n, counts, sign)
    for office_id, source, *sums in sql.fetch(
        conn,
        "SELECT office_id, source, ballots, n, k, kk, kn, nn FROM ballot_moments "  # noqa: S608
        f"WHERE {where} AND criteria = {sql.mark}",
        [*params, comparison.key],
    ):
        for root, signs in terms[office_id]:
            for sign, counted in signs:
                if source in counted:
                    out[root].moments += Moments(*(sign * int(v) for v in sums))
