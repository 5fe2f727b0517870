"""Flags awaiting an inspector, and settling them: the one place that knows what "awaiting
review" means (a flag with no review yet)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core.bulk import any_of, bulk
from app.models import BallotFlag, FlagReview
from app.models.types import utcnow

FLAG = BallotFlag.__table__  # type: ignore[attr-defined]
REVIEW = FlagReview.__table__  # type: ignore[attr-defined]
REVIEW_COLUMNS = ("flag_id", "decision", "cluster", "reason", "username", "at")


def pending() -> sa.Select[Any]:
    """Flags no inspector has decided on yet, of ballots not excluded meanwhile."""
    from app.integrity.exclusions import excluded_ids  # it settles flags: imports this module

    reviewed = sa.select(REVIEW.c.flag_id).where(REVIEW.c.flag_id == FLAG.c.id)
    return sa.select(FLAG).where(~sa.exists(reviewed), FLAG.c.ballot_id.not_in(excluded_ids()))


def pending_counts(
    session: Session, office_ids: Iterable[int] | None, start: datetime, end: datetime
) -> dict[int, int]:
    """Ballots with a flag awaiting review, per office, submitted in [start, end)."""
    if office_ids is None:  # every office: a ranking's question, built once
        rows = session.connection().execute(_everywhere(), {"start": start, "end": end})
        return {office: int(n) for office, n in rows}
    flags = pending().where(FLAG.c.ballot_at >= start, FLAG.c.ballot_at < end).subquery()
    query = (
        sa.select(flags.c.office_id, sa.func.count(sa.distinct(flags.c.ballot_id)))
        .where(any_of(session, flags.c.office_id, office_ids))
        .group_by(flags.c.office_id)
    )
    return {office: int(n) for office, n in session.connection().execute(query)}


@cache
def _everywhere() -> sa.Select[Any]:
    """``pending_counts`` for every office, with the period bound at each call: building the
    statement cost more than running it."""
    flags = (
        pending()
        .where(FLAG.c.ballot_at >= sa.bindparam("start"), FLAG.c.ballot_at < sa.bindparam("end"))
        .subquery()
    )
    return sa.select(flags.c.office_id, sa.func.count(sa.distinct(flags.c.ballot_id))).group_by(
        flags.c.office_id
    )


def settle(
    session: Session,
    ballot_ids: list[int],
    decision: str,
    cluster: str,
    reason: str,
    username: str,
    rule: str | None = None,
) -> int:
    """Review the pending flags of these ballots (of ``rule`` only, if given); how many."""
    if not ballot_ids:
        return 0
    conn = session.connection()
    query = pending().where(FLAG.c.ballot_id.in_(ballot_ids))
    if rule is not None:
        query = query.where(FLAG.c.rule == rule)
    flag_ids = [row.id for row in conn.execute(query)]
    if not flag_ids:
        return 0
    sql = bulk(conn)
    now = utcnow()
    rows = [
        sql.row(
            REVIEW,
            REVIEW_COLUMNS,
            {
                "flag_id": flag_id,
                "decision": decision,
                "cluster": cluster[:160],
                "reason": reason,
                "username": username[:64],
                "at": now,
            },
        )
        for flag_id in flag_ids
    ]
    sql.insert(conn, "flag_review", REVIEW_COLUMNS, rows, " ON CONFLICT (flag_id) DO NOTHING")
    return len(flag_ids)


def flags_of(session: Session, ballot_ids: list[int]) -> dict[int, list[tuple[str, str | None]]]:
    """Each ballot's flags: (rule, decision or None while awaiting review)."""
    if not ballot_ids:
        return {}
    query = (
        sa.select(FLAG.c.ballot_id, FLAG.c.rule, REVIEW.c.decision)
        .select_from(FLAG.outerjoin(REVIEW, REVIEW.c.flag_id == FLAG.c.id))
        .where(FLAG.c.ballot_id.in_(ballot_ids))
        .order_by(FLAG.c.ballot_id, FLAG.c.rule)
    )
    found: dict[int, list[tuple[str, str | None]]] = {}
    for ballot_id, rule, decision in session.connection().execute(query):
        found.setdefault(ballot_id, []).append((rule, decision))
    return found
