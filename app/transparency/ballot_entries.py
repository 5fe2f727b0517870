"""A log entry is derived from its ballot's (or decision's) rows whenever it is read: when the
sequencer hashes it, when an entry bundle is served, when a receipt's proof carries it. The log
keeps only the hashes, so the rows themselves are what its signed tree pins down: a ballot row
edited or deleted in the database is served as an entry that no longer hashes to its leaf, or
as none, and any monitor of the log sees it (``hailong log audit``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core.bulk import any_of, bulk
from app.core.locale import to_local
from app.models import Ballot, Exclusion, Office
from app.transparency.entries import BALLOT, EXCLUDE, REINSTATE, Entry, receipt_hash

BALLOTS = Ballot.__table__  # type: ignore[attr-defined]
EXCLUSIONS = Exclusion.__table__  # type: ignore[attr-defined]
OFFICES = Office.__table__  # type: ignore[attr-defined]

Ref = tuple[int | None, int | None]  # (ballot id, decision id): one of the two


def entries_of(conn: Connection, refs: Sequence[Ref]) -> list[bytes | None]:
    """Each ballot's or decision's entry, encoded; None where its row is gone."""
    ballots = _ballot_entries(conn, [b for b, _ in refs if b is not None])
    decisions = _decision_entries(conn, [e for b, e in refs if b is None and e is not None])
    found = [ballots.get(b) if b is not None else decisions.get(e or 0) for b, e in refs]
    return [None if entry is None else entry.encode() for entry in found]


def _ballot_entries(conn: Connection, ids: list[int]) -> dict[int, Entry]:
    if not ids:
        return {}
    b, o = BALLOTS, OFFICES
    answers: dict[int, dict[str, int]] = {i: {} for i in ids}
    # Six rows or more a ballot, read straight from the cursor: through SQLAlchemy's rows they
    # were half the sequencer's time (bench/public_log.py; the log's cost on intake).
    sql = bulk(conn)
    match, params = sql.one_of("ballot_id", ids)
    # The range too: waiting ballots come in id order, and with it the key's index is the plan
    # even where the statistics are stale (after a bulk load, a generic plan read every answer).
    read = (
        f"SELECT ballot_id, question_key, value FROM answer WHERE ballot_id >= {sql.mark} "  # noqa: S608
        f"AND ballot_id <= {sql.mark} AND {match}"
    )
    for ballot_id, key, value in sql.fetch(conn, read, [min(ids), max(ids), *params]):
        answers[ballot_id][key] = value
    columns = (b.c.id, b.c.receipt, b.c.survey_key, b.c.survey_version, b.c.source)
    query = (
        sa.select(*columns, b.c.submitted_at, o.c.code)
        .join(o, o.c.id == b.c.office_id)
        .where(any_of(conn, b.c.id, ids))
    )
    return {
        row.id: Entry(
            kind=BALLOT,
            office=row.code,
            day=_day(row.submitted_at),
            receipt=receipt_hash(row.receipt),
            survey=row.survey_key,
            version=row.survey_version,
            source=row.source or "open",
            answers=dict(sorted(answers[row.id].items())),
        )
        for row in conn.execute(query)
    }


def _decision_entries(conn: Connection, ids: list[int]) -> dict[int, Entry]:
    if not ids:
        return {}
    e, b, o = EXCLUSIONS, BALLOTS, OFFICES
    query = (
        sa.select(e.c.id, e.c.excluded, e.c.category, e.c.at, b.c.receipt, o.c.code)
        .add_columns(b.c.submitted_at, b.c.source)
        .join(b, b.c.id == e.c.ballot_id)
        .join(o, o.c.id == b.c.office_id)
        .where(any_of(conn, e.c.id, ids))
    )
    return {
        row.id: Entry(
            kind=EXCLUDE if row.excluded else REINSTATE,
            office=row.code,
            day=_day(row.at),
            receipt=receipt_hash(row.receipt),
            category=row.category or "unrecorded",
            cast=_day(row.submitted_at),
            source=row.source or "open",
        )
        for row in conn.execute(query)
    }


def _day(moment: datetime) -> date:
    return to_local(moment).date()
