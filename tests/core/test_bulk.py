"""Statements sent together (``Bulk.overlapped``): each cursor gets its own rows, in the order
the figures read them, whether PostgreSQL pipelines them or SQLite runs them one by one; a
failing one leaves the transaction usable once rolled back. Rows inserted many at a time come
back as they were given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.core.bulk import array_literal, bulk


def test_sent_statements_each_get_their_rows(db: Session) -> None:
    conn = db.connection()
    sql = bulk(conn)
    with sql.overlapped(conn):
        first = sql.send(conn, f"SELECT {sql.mark} + 1", [1])
        second = sql.send(conn, f"SELECT {sql.mark} * 10 UNION ALL SELECT 7", [3])
        # Read in any order: the rows stay with their statement.
        assert sorted(tuple(r) for r in second()) == [(7,), (30,)]
        assert [tuple(r) for r in first()] == [(2,)]
        assert [tuple(r) for r in sql.fetch(conn, "SELECT 5", [])] == [(5,)]
    assert [tuple(r) for r in sql.fetch(conn, "SELECT 6", [])] == [(6,)]


def test_a_failing_statement_raises_and_the_session_recovers(db: Session) -> None:
    conn = db.connection()
    sql = bulk(conn)

    def missing_table() -> None:
        with sql.overlapped(conn):
            sql.send(conn, "SELECT * FROM no_such_table", [])()

    with pytest.raises(Exception, match="no_such_table"):  # each driver raises its own class
        missing_table()
    db.rollback()
    conn = db.connection()
    assert [tuple(r) for r in bulk(conn).fetch(conn, "SELECT 1", [])] == [(1,)]


PROBE = sa.Table(
    "bulk_probe",
    sa.MetaData(),
    sa.Column("n", sa.Integer),
    sa.Column("text", sa.String),
    sa.Column("maybe", sa.String, nullable=True),
    sa.Column("share", sa.Float, nullable=True),
    sa.Column("flag", sa.Boolean),
    sa.Column("day", sa.Date),
    sa.Column("at", sa.DateTime(timezone=True)),
    prefixes=["TEMPORARY"],
)
TRICKY = ["", 'a"b', "back\\slash", "x,y", "{z}", "NULL", " sp ", "Công chức", "tab\there", '\\"']


def test_many_rows_are_stored_as_given(db: Session) -> None:
    """On PostgreSQL each column goes as one array, in its text form where the values allow:
    quotes, backslashes, commas, braces, spaces, the word NULL and Vietnamese come back as
    they were sent."""
    conn = db.connection()
    PROBE.create(conn)
    sql = bulk(conn)
    columns = ("n", "text", "maybe", "share", "flag", "day", "at")
    start = datetime(2026, 12, 6, 23, 59, 58, 123456, tzinfo=UTC)
    rows = [
        {
            "n": n,
            "text": text,
            "maybe": None if n % 3 else text,
            "share": None if n % 4 == 1 else n / 7,
            "flag": n % 2 == 0,
            "day": date(2026, 1, 1) + timedelta(days=n),
            "at": start + timedelta(seconds=n),
        }
        for n, text in enumerate(TRICKY)
    ]
    sql.insert(conn, PROBE, columns, [sql.row(PROBE, columns, row) for row in rows])
    stored = conn.execute(sa.select(PROBE).order_by(PROBE.c.n)).mappings().all()
    for row, back in zip(rows, stored, strict=True):
        at = back["at"] if back["at"].tzinfo else back["at"].replace(tzinfo=UTC)  # SQLite: naive
        assert {**back, "at": at.astimezone(UTC)} == row


def test_a_column_of_mixed_types_is_left_to_the_driver() -> None:
    assert array_literal([1, "a"]) == [1, "a"]
    assert array_literal([b"\x00"]) == [b"\x00"]
    assert array_literal(["a\x00b"]) == ["a\x00b"]
    assert array_literal([1, None, -2]) == "{1,NULL,-2}"
    assert array_literal([None, None]) == "{NULL,NULL}"
    assert array_literal(['say "hi"', "a\\b"]) == '{"say \\"hi\\"","a\\\\b"}'
