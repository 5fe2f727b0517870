"""Settling flags (an inspector decided: excluded, or reviewed and legitimate), and each ballot's
flags with where their review stands. What "awaiting review" means is ``app/stats/counted.py``."""

from __future__ import annotations

from sqlmodel import Session

from app.core.bulk import bulk
from app.models.types import utcnow
from app.stats.counted import FLAG, REVIEW, pending

REVIEW_COLUMNS = ("flag_id", "decision", "cluster", "reason", "username", "at")


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
    sql.insert(conn, REVIEW, REVIEW_COLUMNS, rows, " ON CONFLICT (flag_id) DO NOTHING")
    return len(flag_ids)
