"""Reading an export's ballots fast: two ordered cursors, ballots and their answers, merged in
one pass (a million ballots and six million answers without holding either in memory, and
without a query per chunk). Both cursors run in the connection's one transaction, so the file
is a consistent snapshot; on PostgreSQL they are server-side cursors.

Each row is a tuple in the export's column order (``COLUMNS``); the time is in Vietnam time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from app.exports.cells import FORMULA_START, neutralise
from app.models import Ballot

if TYPE_CHECKING:
    from app.exports.service import Export

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
FETCH = 5000
SEVEN_HOURS = timedelta(hours=7)
UNSAFE = frozenset(FORMULA_START)
_names = count()
# Positions in each row (after them: one column per question, then the tail).
OFFICE, NAME, COUNTER, TIME, CHANNEL, SURVEY, VERSION, RECEIPT = range(8)
# The tail, counted from the end.
COMMENT, DEMO, EXCLUDED, REASON, CHAIN = range(-5, 0)


def _cursor(conn: Connection) -> Any:
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"hailong_export_{next(_names)}")
        cursor.itersize = FETCH
        return cursor
    return raw.cursor()


def _filters(conn: Connection, export: Export, *, dense: bool = False) -> tuple[str, list[Any]]:
    """The export's WHERE clause on ``b`` (the ballot table) and its parameters, bound through
    the columns' own processors so times compare exactly as the ORM stores them. ``dense``: most
    ballots in the id range belong to the export, so SQLite should walk the primary key in
    order (the unary ``+`` keeps it off the office index) rather than sort what the index finds.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    moment = BALLOT.c.submitted_at.type._cached_bind_processor(conn.dialect)
    start, end = export.period.bounds_utc()
    offices = sorted(export.offices)
    column = "+b.office_id" if dense and conn.dialect.name == "sqlite" else "b.office_id"
    sql = (
        f"{column} IN ({', '.join([mark] * len(offices))}) AND b.survey_key = {mark}"
        f" AND b.submitted_at >= {mark} AND b.submitted_at < {mark} AND b.id <= {mark}"
    )
    snapshot = export.snapshot if export.snapshot is not None else 2**62
    return sql, [*offices, export.survey.key, moment(start), moment(end), snapshot]


def _span(conn: Connection, export: Export) -> tuple[int, int, bool]:
    """The export's first and last ballot ids, and whether its ballots are dense in between."""
    where, params = _filters(conn, export)
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"SELECT count(*), min(b.id), max(b.id) FROM ballot b WHERE {where}", params)  # noqa: S608
        found, first, last = cursor.fetchone()
    finally:
        cursor.close()
    if not found:
        return 0, -1, False
    return int(first), int(last), found * 4 >= int(last) - int(first) + 1


def _local(value: Any) -> datetime:
    """Vietnam time (+07:00 all year, no daylight saving) to the second, without a zone."""
    if isinstance(value, str):  # SQLite: naive UTC text, "YYYY-MM-DD HH:MM:SS.ffffff"
        return datetime.fromisoformat(value[:19]) + SEVEN_HOURS
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None, microsecond=0) + SEVEN_HOURS  # type: ignore[no-any-return]


def decisions(conn: Connection, export: Export) -> dict[int, str]:
    """The ballots whose latest decision is 'excluded', with the reason (few: read at once)."""
    where, params = _filters(conn, export)
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "SELECT e.ballot_id, e.excluded, e.reason FROM exclusion e"  # noqa: S608
            f" JOIN ballot b ON b.id = e.ballot_id WHERE {where} ORDER BY e.id",
            params,
        )
        latest = {ballot_id: (bool(excluded), reason) for ballot_id, excluded, reason in cursor}
    finally:
        cursor.close()
    return {ballot_id: reason for ballot_id, (excluded, reason) in latest.items() if excluded}


def ballot_rows(
    conn: Connection, export: Export, *, spreadsheet: bool = True
) -> Iterator[tuple[Any, ...]]:
    """Every ballot of the export, oldest first, as a tuple in column order (the time naive, in
    Vietnam time): one query, the answers pivoted into columns by the database, in primary-key
    order. For a ``spreadsheet`` every text that starts like a formula is neutralised."""
    first, last, dense = _span(conn, export)
    where, params = _filters(conn, export, dense=dense)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    keys = [q.key for q in export.survey.questions]
    pivot = ", ".join(f"max(CASE WHEN a.question_key = {mark} THEN a.value END)" for _ in keys)
    excluded = decisions(conn, export)
    safe = neutralise if spreadsheet else _same
    offices = {i: (safe(code), safe(name)) for i, (code, name) in export.offices.items()}
    columns = (
        "b.id, b.office_id, b.counter, b.submitted_at, b.channel, b.survey_key,"
        " b.survey_version, b.receipt, b.comment, b.is_demo, b.chain_hash"
    )
    cursor = _cursor(conn)
    try:
        if dense:
            # Answers pivoted first, over the id range, then merged with the ballots: both walk
            # their primary keys in order, with no sort (PostgreSQL: a merge join).
            names = ", ".join(f"p.q{i}" for i in range(len(keys)))
            aliased = ", ".join(
                f"max(CASE WHEN a.question_key = {mark} THEN a.value END) AS q{i}"
                for i in range(len(keys))
            )
            with _no_nested_loops(conn):
                cursor.execute(
                    f"SELECT {columns}, {names} FROM ballot b LEFT JOIN"  # noqa: S608
                    f" (SELECT a.ballot_id, {aliased} FROM answer a"
                    f" WHERE a.ballot_id BETWEEN {mark} AND {mark} GROUP BY a.ballot_id) p"
                    f" ON p.ballot_id = b.id WHERE b.id BETWEEN {mark} AND {mark} AND {where}"
                    " ORDER BY b.id",
                    [*keys, first, last, first, last, *params],
                )
            found = cursor
        else:
            # A few offices' ballots scattered over a long id range: found through the office
            # index, their answers looked up one ballot at a time.
            cursor.execute(
                f"SELECT {columns}, {pivot} FROM ballot b"  # noqa: S608
                f" LEFT JOIN answer a ON a.ballot_id = b.id WHERE {where}"
                f" GROUP BY {columns} ORDER BY b.id",
                [*keys, *params],
            )
            found = cursor
        for row in found:
            comment, reason = row[8] or "", excluded.get(row[0])
            if spreadsheet:
                # Inline rather than a call per cell: this loop runs a million times.
                receipt, channel, survey, chain = row[7], row[4], row[5], row[10] or ""
                yield (
                    *offices[row[1]],
                    row[2],
                    _local(row[3]),
                    "'" + channel if channel[:1] in UNSAFE else channel,
                    "'" + survey if survey[:1] in UNSAFE else survey,
                    row[6],
                    "'" + receipt if receipt[:1] in UNSAFE else receipt,
                    *row[11:],
                    "'" + comment if comment[:1] in UNSAFE else comment,
                    bool(row[9]),
                    reason is not None,
                    neutralise(reason) if reason else "",
                    "'" + chain if chain[:1] in UNSAFE else chain,
                )
            else:
                yield (
                    *offices[row[1]],
                    row[2],
                    _local(row[3]),
                    row[4],
                    row[5],
                    row[6],
                    row[7],
                    *row[11:],
                    comment,
                    bool(row[9]),
                    reason is not None,
                    reason or "",
                    row[10],
                )
    finally:
        cursor.close()


@contextmanager
def _no_nested_loops(conn: Connection) -> Iterator[None]:
    """PostgreSQL plans a cursor for its first rows, and right after a bulk load its statistics
    say the tables are tiny: together they can pick a nested loop that re-aggregates the answers
    for every ballot. While the export's cursor is declared, only merge or hash joins."""
    if conn.dialect.name != "postgresql":
        yield
        return
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor() as setting:
        setting.execute("SET LOCAL enable_nestloop = off")
    try:
        yield
    finally:
        with raw.cursor() as setting:
            setting.execute("SET LOCAL enable_nestloop = on")


def _same(value: Any) -> Any:
    return value
