"""Multi-row statements straight through the DBAPI cursor, for the few hot write paths.

Values are converted by the columns' own bind processors, so what is stored is exactly what the
ORM would store; statements are built once per (table, row count, suffix) and only ever contain
constant names and placeholders: values are always bound.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session as OrmSession

# Keep each statement well under SQLite's (32,766) and PostgreSQL's (65,535) parameter limits.
MAX_PARAMS = 1000


class Bulk:
    def __init__(self, conn: Connection) -> None:
        self.dialect = conn.dialect
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        self._statements: dict[tuple[str, tuple[str, ...], int, str], str] = {}
        self._processors: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
        self._unnest_statements: dict[tuple[str, tuple[str, ...], str], str] = {}

    def _converters(self, table: Table, columns: tuple[str, ...]) -> list[Any]:
        """Each column's bind processor (None where values go as they are), looked up once."""
        key = (table.name, columns)
        processors = self._processors.get(key)
        if processors is None:
            processors = [table.c[c].type._cached_bind_processor(self.dialect) for c in columns]
            self._processors[key] = processors
        return processors

    def row(self, table: Table, columns: tuple[str, ...], values: dict[str, Any]) -> list[Any]:
        """One row's parameters, converted as SQLAlchemy would convert them."""
        processors = self._converters(table, columns)
        return [
            process(values[c]) if process is not None else values[c]
            for c, process in zip(columns, processors, strict=True)
        ]

    def rows(
        self, table: Table, columns: tuple[str, ...], values: list[tuple[Any, ...]]
    ) -> list[Any]:
        """Many rows' parameters (tuples in ``columns`` order), converted as ``row`` does; only
        the columns that need converting are touched."""
        convert = [(i, p) for i, p in enumerate(self._converters(table, columns)) if p is not None]
        if not convert:
            return values
        out = []
        for row in values:
            items = list(row)
            for i, process in convert:
                items[i] = process(items[i])
            out.append(items)
        return out

    def statement(self, table: str, columns: tuple[str, ...], rows: int, suffix: str) -> str:
        key = (table, columns, rows, suffix)
        sql = self._statements.get(key)
        if sql is None:
            one = f"({', '.join([self.mark] * len(columns))})"
            values = ", ".join([one] * rows)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{suffix}"  # noqa: S608
            self._statements[key] = sql
        return sql

    def insert(
        self,
        conn: Connection,
        table: Table,
        columns: tuple[str, ...],
        rows: Sequence[Sequence[Any]],
        suffix: str = "",
    ) -> list[Any]:
        """Insert in as few statements as the parameter limit allows; returns RETURNING rows."""
        step = MAX_PARAMS // len(columns)
        returned: list[Any] = []
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if self.dialect.name == "postgresql" and rows:
            return self._unnest(cursor, table, columns, rows, suffix)
        try:
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                sql = self.statement(table.name, columns, len(chunk), suffix)
                cursor.execute(sql, [v for r in chunk for v in r])
                if cursor.description is not None:
                    returned += cursor.fetchall()
        finally:
            cursor.close()
        return returned

    def _unnest(
        self, cursor: Any, table: Table, columns: tuple[str, ...], rows: Sequence[Any], suffix: str
    ) -> list[Any]:
        """PostgreSQL: the whole batch as one array per column, in one statement with as many
        placeholders as columns. psycopg parses placeholders in Python and remembers only
        statements with at most 50 of them: a 1,000-placeholder multi-row INSERT was parsed
        again on every call, which cost more than the database's own work (2–3 ms a statement,
        measured); one statement per row costs psycopg ~20 µs a row instead."""
        sql = self._unnest_statements.get((table.name, columns, suffix))
        if sql is None:
            types = {c.name: c.type.compile(dialect=self.dialect) for c in table.columns}
            arrays = ", ".join(f"{self.mark}::{types[c]}[]" for c in columns)
            sql = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 - constant names
                f"SELECT * FROM unnest({arrays}){suffix}"
            )
            self._unnest_statements[(table.name, columns, suffix)] = sql
        try:
            cursor.execute(sql, [array_literal(list(c)) for c in zip(*rows, strict=True)])
            if "RETURNING" not in suffix:
                return []  # nothing to wait for: inside ``overlapped`` the next is sent at once
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def copy(
        self, conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[Any]
    ) -> None:
        """Many rows that cannot conflict (the public log's entries, by the thousand): on
        PostgreSQL by COPY, whose rows psycopg writes in C; elsewhere as ``insert``. A ballot
        batch's rows go by ``insert`` instead: a COPY takes two round trips of its own, and
        cannot share the writer's pipeline (``overlapped``)."""
        if self.dialect.name != "postgresql" or not rows:
            self.insert(conn, table, columns, rows)
            return
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()

    def one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column`` matching any of ``values`` through one parameter, however many: on
        PostgreSQL an array (a list of placeholders is parsed again by psycopg on every call,
        and planned again by the server), on SQLite a JSON array."""
        if self.dialect.name == "postgresql":
            return f"{column} = ANY({self.mark})", [list(values)]
        match = f"{column} IN (SELECT value FROM json_each({self.mark}))"  # noqa: S608 - a name
        return match, [json.dumps(list(values))]

    def run(self, conn: Connection, sql: str, params: Sequence[Any]) -> None:
        """A statement whose rows nobody reads (taking a lock): inside ``overlapped`` it waits
        for nothing; a failure is raised by the next statement that waits."""
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
        finally:
            cursor.close()

    def fetch(self, conn: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    @contextmanager
    def overlapped(self, conn: Connection) -> Iterator[None]:
        """Statements ``send`` sends inside run on PostgreSQL while this process reads the rows
        of those before them (psycopg's pipeline): a ranking's dossier sums are computed by
        the server while the criteria rows are summed here; a batch's rollup upserts go out
        one after another, answered together. Only ``send``, ``fetch``, ``run`` and ``insert``
        may run inside (an ``insert`` without ``RETURNING`` waits for nothing; one with it, like
        ``fetch``, waits for what was sent before it): SQLAlchemy reads a cursor's description
        before its results are in."""
        raw: Any = conn.connection.dbapi_connection
        # Inside one already, the statements join it: psycopg would answer everything sent so
        # far on entering a pipeline within it, and again on leaving it.
        if self.dialect.name != "postgresql" or not _pipelines() or _in_pipeline(raw):
            yield
            return
        with raw.pipeline():
            yield

    def send(self, conn: Connection, sql: str, params: Sequence[Any]) -> Callable[[], list[Any]]:
        """``fetch``, its rows taken when called: inside ``overlapped``, the statement runs
        meanwhile; elsewhere it has already run."""
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
        except BaseException:
            cursor.close()
            raise

        def rows() -> list[Any]:
            try:
                return list(cursor.fetchall())
            finally:
                cursor.close()

        return rows


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# How each type is written inside an array's text form (none of these needs quoting but str).
_ELEMENT: dict[type, Callable[[Any], str]] = {
    int: str,
    float: repr,
    bool: lambda value: "t" if value else "f",
    date: date.isoformat,
    datetime: datetime.isoformat,
    str: _quoted,
}


def array_literal(values: list[Any]) -> str | list[Any]:
    """``values`` in PostgreSQL's text form of an array (``{1,NULL}``, ``{"a","b"}``), which the
    statement casts to the column's array type; a list of several types, or of another type,
    goes to psycopg as it is.

    psycopg writes a list element by element in Python, testing each against a regular
    expression: storing a batch of 32 ballots spent 4.8 ms of its ~24 there, most of it on the
    rollups' upserts. A column is of one type, written here with ``str.join`` (measured in
    docs/benchmarks.md)."""
    kinds = set(map(type, values))
    nulls = type(None) in kinds
    kinds.discard(type(None))
    if len(kinds) > 1:
        return values
    write = _ELEMENT.get(kinds.pop()) if kinds else str
    if write is None:
        return values
    if nulls:
        return "{" + ",".join(["NULL" if v is None else write(v) for v in values]) + "}"
    if write is _quoted:  # the common case, joined and escaped in one pass each
        body = "\x00".join(values)
        if body.count("\x00") == len(values) - 1:  # no NUL inside (PostgreSQL refuses one)
            body = body.replace("\\", "\\\\").replace('"', '\\"')
            return '{"' + body.replace("\x00", '","') + '"}'
        return values
    return "{" + ",".join(map(write, values)) + "}"


@cache
def _pipelines() -> bool:
    """Whether the driver's libpq can pipeline (14 or later; the binary wheel's always can)."""
    import psycopg

    return bool(psycopg.Pipeline.is_supported())


def _in_pipeline(raw: Any) -> bool:
    from psycopg import pq

    return bool(raw.pgconn.pipeline_status != pq.PipelineStatus.OFF)


_by_dialect: dict[str, Bulk] = {}


def bulk(conn: Connection) -> Bulk:
    name = conn.dialect.name
    if name not in _by_dialect:
        _by_dialect[name] = Bulk(conn)
    return _by_dialect[name]


def any_of(conn: Connection | OrmSession, column: Any, values: Iterable[int]) -> Any:
    """The same as ``Bulk.one_of``, as a SQLAlchemy condition on an integer column: a sub-tree
    of 10,000 offices is one parameter, not 10,000."""
    ids = [int(v) for v in values]
    dialect = conn.get_bind().dialect if isinstance(conn, OrmSession) else conn.dialect
    if dialect.name == "postgresql":
        return column == sa.any_(sa.literal(ids, ARRAY(sa.BigInteger)))
    each = sa.func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(sa.select(each.c.value))
