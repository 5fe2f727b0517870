"""Reading an export's ballots fast: one query in primary-key order, each ballot's answers
pivoted into columns by the database, streamed (a million ballots without holding them in
memory and without a query per chunk). It runs in the connection's one transaction, so a file is
a consistent snapshot; on PostgreSQL through a server-side cursor.

``ballot_rows`` yields tuples in the export's column order (the time naive, in Vietnam time) for
JSON Lines and XLSX. ``csv_chunks`` gives the CSV lines, on PostgreSQL formatted by the database
itself: at a million rows, formatting in Python costs more than reading.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
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
YES = "có"
_names = count()
# Positions in each row (after them: one column per question, then the tail).
OFFICE, NAME, COUNTER, TIME, CHANNEL, SURVEY, VERSION, RECEIPT = range(8)
# The tail, counted from the end: where the ballot came from, then the rest.
SOURCE, DEVICE, INTEGRATION, OFFICER, COMMENT, DEMO, EXCLUDED, REASON, FLAGS, CHAIN = range(-10, 0)
STATES = {None: "chờ xem xét", "legitimate": "hợp lệ", "excluded": "đã loại"}


class Params:
    """Named parameters in the driver's own style (``:name`` or ``%(name)s``)."""

    def __init__(self, conn: Connection) -> None:
        self.named = conn.dialect.name == "sqlite"  # sqlite3 takes :name, psycopg %(name)s
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}" if self.named else f"%({name})s"


def _cursor(conn: Connection) -> Any:
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"hailong_export_{next(_names)}")
        cursor.itersize = FETCH
        return cursor
    return raw.cursor()


def _filters(conn: Connection, export: Export, bind: Params, *, dense: bool = False) -> str:
    """The export's WHERE clause on ``b`` (the ballot table), its values bound through the
    columns' own processors so times compare exactly as the ORM stores them. ``dense``: most
    ballots in the id range belong to the export, so SQLite should walk the primary key in
    order (the unary ``+`` keeps it off the office index) rather than sort what the index finds.
    """
    moment = BALLOT.c.submitted_at.type._cached_bind_processor(conn.dialect)
    start, end = export.period.bounds_utc()
    column = "+b.office_id" if dense and conn.dialect.name == "sqlite" else "b.office_id"
    offices = ", ".join(bind(i) for i in sorted(export.offices))
    snapshot = export.snapshot if export.snapshot is not None else 2**62
    return (
        f"{column} IN ({offices})"
        f" AND b.survey_key IN ({', '.join(bind(k) for k in export.surveys)})"
        f" AND b.submitted_at >= {bind(moment(start))} AND b.submitted_at < {bind(moment(end))}"
        f" AND b.id <= {bind(snapshot)}"
    )


def _span(conn: Connection, export: Export) -> tuple[int, int, bool]:
    """The export's first and last ballot ids, and whether its ballots are dense in between."""
    bind = Params(conn)
    where = _filters(conn, export, bind)
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f"SELECT count(*), min(b.id), max(b.id) FROM ballot b WHERE {where}",  # noqa: S608
            bind.values,
        )
        found, first, last = cursor.fetchone()
    finally:
        cursor.close()
    if not found:
        return 0, -1, False
    return int(first), int(last), found * 4 >= int(last) - int(first) + 1


def decisions(conn: Connection, export: Export) -> dict[int, str]:
    """The ballots whose latest decision is 'excluded', with the reason (few: read at once)."""
    bind = Params(conn)
    where = _filters(conn, export, bind)
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "SELECT e.ballot_id, e.excluded, e.reason FROM exclusion e"  # noqa: S608
            f" JOIN ballot b ON b.id = e.ballot_id WHERE {where} ORDER BY e.id",
            bind.values,
        )
        latest = {ballot_id: (bool(excluded), reason) for ballot_id, excluded, reason in cursor}
    finally:
        cursor.close()
    return {ballot_id: reason for ballot_id, (excluded, reason) in latest.items() if excluded}


def flag_labels(conn: Connection, export: Export) -> dict[int, str]:
    """For inspectors' files: each flagged ballot's rules and where review stands, e.g.
    "same-device (chờ xem xét); too-fast (hợp lệ)". Few, read at once."""
    if not export.flags:
        return {}
    bind = Params(conn)
    where = _filters(conn, export, bind)
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "SELECT f.ballot_id, f.rule, r.decision FROM ballot_flag f"  # noqa: S608
            " JOIN ballot b ON b.id = f.ballot_id"
            " LEFT JOIN flag_review r ON r.flag_id = f.id"
            f" WHERE {where} ORDER BY f.ballot_id, f.rule",
            bind.values,
        )
        found: dict[int, list[str]] = {}
        for ballot_id, rule, decision in cursor:
            found.setdefault(ballot_id, []).append(f"{rule} ({STATES.get(decision, decision)})")
    finally:
        cursor.close()
    return {ballot_id: "; ".join(labels) for ballot_id, labels in found.items()}


Fields = Callable[[Params, list[str]], str]


def _query(conn: Connection, export: Export, fields: Fields) -> tuple[str, dict[str, Any]]:
    """The export's one query: ``fields`` gives the select list, from ``b`` (ballot) and one
    expression per question for its answer."""
    first, last, dense = _span(conn, export)
    bind = Params(conn)
    keys = [q.key for q in export.questions]
    if dense:
        # Answers pivoted over the id range, then joined to the ballots: both walk their
        # primary keys in order (PostgreSQL: a merge join), nothing is sorted.
        answers = [f"p.q{i}" for i in range(len(keys))]
        select = fields(bind, answers)
        pivot = ", ".join(
            f"max(CASE WHEN a.question_key = {bind(k)} THEN a.value END) AS q{i}"
            for i, k in enumerate(keys)
        )
        join = (
            f" LEFT JOIN (SELECT a.ballot_id, {pivot} FROM answer a"  # noqa: S608
            f" WHERE a.ballot_id BETWEEN {bind(first)} AND {bind(last)} GROUP BY a.ballot_id) p"
            " ON p.ballot_id = b.id"
        )
    else:
        # A few offices' ballots scattered over a long history: found through the office
        # index, each answer looked up by its key.
        answers = [
            "(SELECT a.value FROM answer a"  # noqa: S608
            f" WHERE a.ballot_id = b.id AND a.question_key = {bind(k)})"
            for k in keys
        ]
        select = fields(bind, answers)
        join = ""
    where = _filters(conn, export, bind, dense=dense)
    range_ = f"b.id BETWEEN {bind(first)} AND {bind(last)} AND " if dense else ""
    sql = (
        f"SELECT {select} FROM ballot b{join}"  # noqa: S608
        f" WHERE {range_}{where} ORDER BY b.id"
    )
    return sql, bind.values


@contextmanager
def _streaming(conn: Connection, sql: str, values: dict[str, Any]) -> Iterator[Any]:
    """The query's rows from a (server-side) cursor. PostgreSQL plans a cursor for its first
    rows and, right after a bulk load, believes the tables tiny: together they can pick a nested
    loop that re-aggregates the answers for every ballot. While it is declared, no nested loops.
    """
    cursor = _cursor(conn)
    postgres = conn.dialect.name == "postgresql"
    raw: Any = conn.connection.dbapi_connection
    try:
        if postgres:
            with raw.cursor() as setting:
                setting.execute("SET LOCAL enable_nestloop = off")
        try:
            cursor.execute(sql, values)
        finally:
            if postgres:
                with raw.cursor() as setting:
                    setting.execute("SET LOCAL enable_nestloop = on")
        yield cursor
    finally:
        cursor.close()


def _local(value: Any) -> datetime:
    """Vietnam time (+07:00 all year, no daylight saving) to the second, without a zone."""
    if isinstance(value, str):  # SQLite: naive UTC text, "YYYY-MM-DD HH:MM:SS.ffffff"
        return datetime.fromisoformat(value[:19]) + SEVEN_HOURS
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None, microsecond=0) + SEVEN_HOURS  # type: ignore[no-any-return]


def _raw_fields(bind: Params, answers: list[str]) -> str:
    return (
        "b.id, b.office_id, b.counter, b.submitted_at, b.channel, b.survey_key,"
        " b.survey_version, b.receipt, b.comment, b.is_demo, b.chain_hash,"
        " coalesce(b.source, 'open'), b.device_id, b.integration_id, b.officer_code, "
        + ", ".join(answers)
    )


def ballot_rows(
    conn: Connection, export: Export, *, spreadsheet: bool = True
) -> Iterator[tuple[Any, ...]]:
    """Every ballot of the export, oldest first, as a tuple in column order. For a
    ``spreadsheet`` every text that starts like a formula is neutralised."""
    excluded = decisions(conn, export)
    flags = flag_labels(conn, export)
    safe = neutralise if spreadsheet else _same
    offices = {i: (safe(code), safe(name)) for i, (code, name) in export.offices.items()}
    sql, values = _query(conn, export, _raw_fields)
    with _streaming(conn, sql, values) as cursor:
        for row in cursor:
            reason = excluded.get(row[0])
            yield (
                *offices[row[1]],
                row[2],
                _local(row[3]),
                safe(row[4]),
                safe(row[5]),
                row[6],
                safe(row[7]),
                *row[15:],
                row[11],
                row[12],
                row[13],
                safe(row[14] or "") if export.officers else "",
                safe(row[8] or ""),
                bool(row[9]),
                reason is not None,
                safe(reason or ""),
                flags.get(row[0], ""),
                safe(row[10]),
            )


def _same(value: Any) -> Any:
    return value


def _text(bind: Params, expression: str) -> str:
    """A text column as an always-quoted CSV field, neutralised like every spreadsheet cell."""
    unsafe = ", ".join(bind(c) for c in FORMULA_START)
    value = f"coalesce({expression}, '')"
    safe = f"CASE WHEN substr({value}, 1, 1) IN ({unsafe}) THEN '''' || {value} ELSE {value} END"
    return f"""'"' || replace({safe}, '"', '""') || '"'"""


def _number(expression: str) -> str:
    return f"coalesce(CAST({expression} AS TEXT), '')"


def csv_chunks(
    conn: Connection, export: Export, size: int = 500
) -> Iterator[tuple[str, list[str | None]]]:
    """The export's ballots as CSV lines (RFC 4180, CRLF), ``size`` at a time, with their chain
    hashes.

    On PostgreSQL the database formats the fields (text always quoted), which here measured
    about twice as fast as formatting in Python; SQLite's own string functions are slower than
    Python's csv module, so there the rows are formatted here."""
    if conn.dialect.name != "postgresql":
        yield from _python_chunks(conn, export, size)
        return
    local = "to_char(b.submitted_at AT TIME ZONE INTERVAL '+07:00', 'YYYY-MM-DD\"T\"HH24:MI:SS')"

    def fields(bind: Params, answers: list[str]) -> str:
        head = " || ',' || ".join(
            [
                _number("b.counter"),
                f"{local} || '+07:00'",
                _text(bind, "b.channel"),
                _text(bind, "b.survey_key"),
                _number("b.survey_version"),
                _text(bind, "b.receipt"),
                *[_number(a) for a in answers],
                _text(bind, "coalesce(b.source, 'open')"),
                _number("b.device_id"),
                _number("b.integration_id"),
                _text(bind, "b.officer_code" if export.officers else "NULL"),
                _text(bind, "b.comment"),
                f"CASE WHEN b.is_demo THEN {bind(YES)} ELSE '' END",
            ]
        )
        return f"b.id, b.office_id, {head}, {_text(bind, 'b.chain_hash')}, b.chain_hash"

    offices = {
        office_id: f"{_quoted(code)},{_quoted(name)},"
        for office_id, (code, name) in export.offices.items()
    }
    excluded = {
        ballot_id: f",{_quoted(YES)},{_quoted(reason)}"
        for ballot_id, reason in decisions(conn, export).items()
    }
    flags = {ballot_id: _quoted(label) for ballot_id, label in flag_labels(conn, export).items()}
    sql, values = _query(conn, export, fields)
    with _streaming(conn, sql, values) as cursor:
        lines: list[str] = []
        chains: list[str | None] = []
        for ballot_id, office_id, head, chain_field, chain in cursor:
            lines.append(
                f"{offices[office_id]}{head}{excluded.get(ballot_id, ',,')},"
                f"{flags.get(ballot_id, '')},{chain_field}\r\n"
            )
            chains.append(chain)
            if len(lines) == size:
                yield "".join(lines), chains
                lines, chains = [], []
        if lines:
            yield "".join(lines), chains


def _quoted(value: str) -> str:
    return '"' + str(neutralise(value)).replace('"', '""') + '"'


def _python_chunks(
    conn: Connection, export: Export, size: int
) -> Iterator[tuple[str, list[str | None]]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    chains: list[str | None] = []
    for row in ballot_rows(conn, export):
        writer.writerow(
            (
                *row[:TIME],
                row[TIME].isoformat() + "+07:00",
                *row[CHANNEL:DEMO],
                YES if row[DEMO] else "",
                YES if row[EXCLUDED] else "",
                *row[REASON:],
            )
        )
        chains.append(row[CHAIN])
        if len(chains) == size:
            yield buffer.getvalue(), chains
            buffer.seek(0)
            buffer.truncate()
            chains = []
    if chains:
        yield buffer.getvalue(), chains
