"""Dossiers counted as ballots are (``rollups``): per office and every ancestor, per local day,
month and year, so the response rate and the dossier indicator of a national ranking read a
few rows per province instead of every dossier of the year.

A dossier counts as registered on the day it was received, as returned (and late) on the day
its result was returned, under the rating bound to it, or as unrated. Its counts change when
the one-stop software reports it again (``count``, with its state before and after) and when a
ballot is bound to it (``rated``). Both take the dossier's lock first: on PostgreSQL a report
and a ballot of one dossier, each not seeing the other's uncommitted row, would otherwise count
it as rated twice or not at all; on SQLite the write lock already orders them.
``from_raw`` sums the raw dossiers, as the figures were read before: the recount that tests
and benchmarks compare with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core.bulk import Bulk, bulk
from app.core.locale import to_local
from app.models import Ballot, Dossier, DossierRollup
from app.offices.paths import share_tree
from app.stats.periods import Period, today
from app.stats.reads import in_buckets
from app.stats.rollups import add_counts, buckets

DOSSIER_ROLLUP: sa.Table = DossierRollup.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
BALLOT = Ballot.__table__  # type: ignore[attr-defined]
DOSSIER_KEY = ("office_id", "grain", "start", "survey_key", "survey_version", "level")
DOSSIER_SUMS = ("registered", "returned", "late")
REGISTERED, RETURNED, LATE = range(len(DOSSIER_SUMS))  # each sum's place in a row of counts
Rating = tuple[str, int, int]  # the bound ballot's survey key, version and level
UNRATED: Rating = ("", 0, 0)
BOUND = "d:"  # how a bound ballot's idempotency key begins
LOCK_SPACE = 8_405_002  # the first key of the dossiers' advisory locks (the tree's is one bigint)


@dataclass(frozen=True)
class State:
    """A dossier as its counts see it."""

    office_id: int
    received_at: datetime | None = None
    due_at: datetime | None = None
    returned_at: datetime | None = None
    rating: Rating | None = None

    @property
    def late(self) -> bool:
        return (
            self.returned_at is not None
            and self.due_at is not None
            and self.returned_at > self.due_at
        )


def dossier_key(code_hash: str) -> str:
    """The idempotency key of a ballot bound to a dossier: the office's unique index on keys
    then allows one ballot per dossier, also when two arrive at once."""
    return f"{BOUND}{code_hash}"


def hold(conn: Connection, dossiers: Iterable[tuple[int, str]]) -> None:
    """No other transaction counts these dossiers (office, code hash) until this one ends."""
    share_tree(conn)  # the tree's lock before the dossiers', in every transaction
    if conn.dialect.name == "postgresql":
        # One statement for a batch, in the writer's pipeline; in one order everywhere, so two
        # writers never deadlock.
        bulk(conn).run(
            conn,
            "SELECT pg_advisory_xact_lock(%s, hashtext(k)) "
            "FROM (SELECT DISTINCT unnest(%s::text[]) AS k ORDER BY 1) AS held",
            [LOCK_SPACE, sorted(f"{o}:{h}" for o, h in dossiers)],
        )


def rating(conn: Connection, office_id: int, code_hash: str) -> Rating | None:
    """The rating bound to a dossier, if one is stored (read after ``hold``)."""
    found = conn.execute(
        sa.select(BALLOT.c.survey_key, BALLOT.c.survey_version, BALLOT.c.level).where(
            BALLOT.c.office_id == office_id, BALLOT.c.idempotency_key == dossier_key(code_hash)
        )
    ).first()
    return None if found is None else (found[0], found[1], found[2] or 0)


def count(conn: Connection, before: State | None, after: State | None) -> None:
    """A dossier reported (again): its counts as ``before`` out, as ``after`` in."""
    _add(conn, [(s, sign) for s, sign in ((before, -1), (after, 1)) if s is not None])


def rated(
    conn: Connection,
    bound: Sequence[tuple[int, str, Rating]],
    paths: dict[int, tuple[int, ...]] | None = None,
) -> None:
    """Ballots just stored for dossiers (office, dossier hash, rating), in the writer's
    transaction: each dossier already reported moves from unrated to its rating. One not
    reported yet is counted with its rating when it is. ``paths``: the offices' paths the
    rollups just read (``rollups.add``), not asked again."""
    if not bound:
        return
    hold(conn, [(office_id, code_hash) for office_id, code_hash, _ in bound])
    stored = _states(conn, {(office_id, code_hash) for office_id, code_hash, _ in bound})
    changes: list[tuple[State, int]] = []
    for office_id, code_hash, given in bound:
        state = stored.get((office_id, code_hash))
        if state is not None and state.returned_at is not None:
            changes += [(state, -1), (replace(state, rating=given), 1)]
    _add(conn, changes, paths)


def _states(conn: Connection, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], State]:
    """The stored dossiers among ``wanted`` (office, code hash), read through ``bulk``: in the
    writer's pipeline on PostgreSQL (SQLAlchemy would read an empty answer there)."""
    sql = bulk(conn)
    offices, office_ids = sql.one_of("office_id", sorted({o for o, _ in wanted}))
    hashes, code_hashes = sql.one_of("code_hash", sorted({h for _, h in wanted}))
    d = DOSSIER.c
    moments = (d.received_at, d.due_at, d.returned_at)
    # The driver's values as SQLAlchemy would give them (on SQLite, times are stored as text).
    dialect = conn.dialect
    read = [c.type.dialect_impl(dialect).result_processor(dialect, None) or _same for c in moments]
    rows = sql.fetch(
        conn,
        f"SELECT office_id, code_hash, received_at, due_at, returned_at FROM {DOSSIER.name} "  # noqa: S608
        f"WHERE {offices} AND {hashes}",
        [*office_ids, *code_hashes],
    )
    return {
        (office_id, code_hash): State(office_id, *(f(v) for f, v in zip(read, times, strict=True)))
        for office_id, code_hash, *times in rows
        if (office_id, code_hash) in wanted  # each office's hashes cross the others'
    }


def _same(value: Any) -> Any:
    return value


def _add(
    conn: Connection,
    changes: Iterable[tuple[State, int]],
    paths: dict[int, tuple[int, ...]] | None = None,
) -> None:
    add_counts(conn, DOSSIER_ROLLUP, DOSSIER_KEY, DOSSIER_SUMS, tally(changes), paths)


def tally(changes: Iterable[tuple[State, int]]) -> dict[tuple[Any, ...], list[int]]:
    """What dossiers (each a state and a sign: +1 counted in, -1 out) add to each office's
    own rows, before they are added to its ancestors'."""
    out: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for state, sign in changes:
        if state.received_at is not None:
            for grain, start in buckets(to_local(state.received_at).date()):
                out[(state.office_id, grain, start, *UNRATED)][REGISTERED] += sign
        if state.returned_at is not None:
            given = state.rating or UNRATED
            for grain, start in buckets(to_local(state.returned_at).date()):
                row = out[(state.office_id, grain, start, *given)]
                row[RETURNED] += sign
                row[LATE] += sign if state.late else 0
    return out


def recount(conn: Connection, chunk: int = 5000) -> int:
    """Every dossier counted again from the raw rows, into every ancestor too (the migration
    that introduced the counts, and ``hailong stats rebuild``); returns how many."""
    conn.execute(sa.delete(DOSSIER_ROLLUP))
    d, b = DOSSIER.c, BALLOT.c
    columns = (d.id, d.office_id, d.received_at, d.due_at, d.returned_at)
    query = (
        sa.select(*columns, b.survey_key, b.survey_version, b.level)
        .select_from(DOSSIER.outerjoin(BALLOT, _bound(d, b)))
        .order_by(d.id)
        .limit(chunk)
    )
    done, last = 0, 0
    while rows := conn.execute(query.where(d.id > last)).all():
        last, done = rows[-1].id, done + len(rows)
        states = (
            State(
                r.office_id,
                r.received_at,
                r.due_at,
                r.returned_at,
                None if r.survey_key is None else (r.survey_key, r.survey_version, r.level or 0),
            )
            for r in rows
        )
        _add(conn, ((s, 1) for s in states))
    return done


def _bound(d: Any, b: Any) -> Any:
    return sa.and_(b.office_id == d.office_id, b.idempotency_key == sa.literal(BOUND) + d.code_hash)


# Per root: per rating (``UNRATED`` for none), [registered, returned, late].
Counts = dict[int, dict[Rating, list[int]]]


def read(conn: Connection, roots: list[int], period: Period) -> Counts:
    """Each root's sub-tree over ``period``, from the roots' own rows, by rating.

    A period reaching today is read as ballots' are, to the end of its year (the month to date
    is one month's row, not a row per day); but a dossier carries the one-stop software's
    times, which may run ahead of the server's, so the rows after the period are read too and
    taken out again (nearly always none: a few empty index ranges)."""
    out: Counts = defaultdict(dict)
    if not roots:
        return out
    sql = bulk(conn)
    rows, params = _signed(sql, roots, period)
    for office_id, key, version, level, *sums in sql.fetch(
        conn,
        # Cast: PostgreSQL sums big integers as numeric, which the driver reads far more slowly.
        "SELECT office_id, survey_key, survey_version, level, "  # noqa: S608
        "CAST(sum(sign * registered) AS BIGINT), CAST(sum(sign * returned) AS BIGINT), "
        f"CAST(sum(sign * late) AS BIGINT) FROM ({rows}) AS r "
        "GROUP BY office_id, survey_key, survey_version, level",
        params,
    ):
        if sums[REGISTERED] or sums[RETURNED]:
            out[office_id][(key, version, level)] = [int(n) for n in sums]
    return out


def totals_later(
    conn: Connection,
    roots: list[int],
    period: Period,
    pleased: Iterable[Rating],
    tops: list[int] | None = None,
) -> Callable[[], dict[int, list[int]]]:
    """``read`` summed over ratings in the database, one row per root: registered, returned,
    late, rated (returned with a rating) and rated not pleased (a rating not in ``pleased``).
    ``tops``: the offices every root sits under, whose rows tell at once whether any dossier
    was counted after the period (nearly never: then no root's rows are read for it).
    Sent now, read when the result is called (``Bulk.overlapped``)."""
    if not roots:
        return dict
    sql = bulk(conn)
    rows, params = _signed(sql, roots, period, (conn, tops) if tops else None)
    levels: dict[tuple[str, int], list[int]] = defaultdict(list)
    for key, version, level in pleased:
        levels[(key, version)].append(level)
    good, chosen = [], []
    for (key, version), values in sorted(levels.items()):
        marks = ", ".join([sql.mark] * len(values))
        good.append(
            f"(survey_key = {sql.mark} AND survey_version = {sql.mark} AND level IN ({marks}))"
        )
        chosen += [key, version, *sorted(values)]
    pleasing = f"({' OR '.join(good)})" if good else "(1 = 0)"
    found = sql.send(
        conn,
        "SELECT office_id, CAST(sum(sign * registered) AS BIGINT), "  # noqa: S608
        "CAST(sum(sign * returned) AS BIGINT), CAST(sum(sign * late) AS BIGINT), "
        f"CAST(COALESCE(sum(sign * returned) FILTER (WHERE survey_key <> {sql.mark}), 0) "
        "AS BIGINT), CAST(COALESCE(sum(sign * returned) FILTER (WHERE survey_key <> "
        f"{sql.mark} AND NOT {pleasing}), 0) AS BIGINT) FROM ({rows}) AS r GROUP BY office_id",
        [UNRATED[0], UNRATED[0], *chosen, *params],
    )
    return lambda: {office_id: [int(n) for n in sums] for office_id, *sums in found()}


def _signed(
    sql: Bulk,
    roots: list[int],
    period: Period,
    tops: tuple[Connection, list[int]] | None = None,
) -> tuple[str, list[Any]]:
    """The roots' rows over ``period`` (``read``), each with its sign."""
    counted, params = in_buckets(sql, period)
    after, later = "(1 = 0)", list[Any]()
    year_end = date(period.end.year, 12, 31)
    if today() <= period.end < year_end:
        beyond = Period(period.end + timedelta(days=1), year_end)
        after, later = in_buckets(sql, beyond, exact=True)
        if tops is not None and not _any_after(sql, *tops, (after, later)):
            after, later = "(1 = 0)", []
    match, ids = sql.one_of("office_id", roots)
    return (
        "SELECT office_id, survey_key, survey_version, level, registered, returned, late, "  # noqa: S608
        f"CASE WHEN {after} THEN -1 ELSE 1 END AS sign FROM dossier_rollup "
        f"WHERE {match} AND ({counted} OR {after})",
        [*later, *ids, *params, *later],
    )


def _any_after(sql: Bulk, conn: Connection, tops: list[int], after: tuple[str, list[Any]]) -> bool:
    """Whether the top offices (counting every dossier below them) have rows after a period."""
    match, ids = sql.one_of("office_id", tops)
    found = sql.fetch(
        conn,
        f"SELECT 1 FROM dossier_rollup WHERE {match} AND {after[0]} LIMIT 1",  # noqa: S608
        [*ids, *after[1]],
    )
    return bool(found)


def from_raw(conn: Connection, roots: list[int], period: Period) -> Counts:
    """The same from the raw dossiers and ballots, walking each root's sub-tree."""
    out: Counts = defaultdict(dict)
    if not roots:
        return out
    sql = bulk(conn)
    mark = sql.mark
    chosen, ids = sql.one_of("id", roots)
    # UNION, not UNION ALL: a cycle in the tree (which the office service refuses) still ends.
    subtree = (
        "WITH RECURSIVE sub(id, root) AS ("  # noqa: S608 - names and placeholders only
        f"SELECT id, id FROM office WHERE {chosen} "
        "UNION SELECT o.id, sub.root FROM office o JOIN sub ON o.parent_id = sub.id) "
    )
    start, end = period.bounds_utc()

    def moments(column: str) -> list[Any]:
        return [sql.row(DOSSIER, (column,), {column: t})[0] for t in (start, end)]

    for root, key, version, level, n, late in sql.fetch(
        conn,
        f"{subtree}SELECT sub.root, b.survey_key, b.survey_version, b.level, count(*), "  # noqa: S608
        "sum(CASE WHEN d.due_at IS NOT NULL AND d.returned_at > d.due_at THEN 1 ELSE 0 END) "
        "FROM sub JOIN dossier d ON d.office_id = sub.id "
        "LEFT JOIN ballot b ON b.office_id = d.office_id AND b.idempotency_key = 'd:' || "
        f"d.code_hash WHERE d.returned_at >= {mark} AND d.returned_at < {mark} "
        "GROUP BY sub.root, b.survey_key, b.survey_version, b.level",
        [*ids, *moments("returned_at")],
    ):
        given = UNRATED if key is None else (key, version, level or 0)
        row = out[root].setdefault(given, [0, 0, 0])
        row[RETURNED] += int(n)
        row[LATE] += int(late or 0)
    for root, n in sql.fetch(
        conn,
        f"{subtree}SELECT sub.root, count(*) FROM sub "  # noqa: S608
        f"JOIN dossier d ON d.office_id = sub.id "
        f"WHERE d.received_at >= {mark} AND d.received_at < {mark} GROUP BY sub.root",
        [*ids, *moments("received_at")],
    ):
        out[root].setdefault(UNRATED, [0, 0, 0])[REGISTERED] += int(n)
    return out
