"""Statements sent together (``Bulk.overlapped``): each cursor gets its own rows, in the order
the figures read them, whether PostgreSQL pipelines them or SQLite runs them one by one; a
failing one leaves the transaction usable once rolled back."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.core.bulk import bulk


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
