"""What the figures count: every ballot but those whose latest decision excludes them; and which
flags still await an inspector (a flag with no review yet, on a ballot not excluded meanwhile).
The one home of both rules: figures, pages, exports and triage all ask here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core.bulk import any_of
from app.models import Ballot, BallotFlag, Exclusion, FlagReview

EXCLUSION = Exclusion.__table__  # type: ignore[attr-defined]
BALLOT = Ballot.__table__  # type: ignore[attr-defined]
FLAG = BallotFlag.__table__  # type: ignore[attr-defined]
REVIEW = FlagReview.__table__  # type: ignore[attr-defined]


def latest_decisions() -> sa.Select[Any]:
    """Each decided ballot's latest decision (the exclusion rows' newest id per ballot)."""
    return sa.select(sa.func.max(EXCLUSION.c.id)).group_by(EXCLUSION.c.ballot_id)


def exclusions_now() -> sa.Select[Any]:
    """The ballots excluded now (whose latest decision excludes them), with that reason."""
    return sa.select(EXCLUSION.c.ballot_id, EXCLUSION.c.reason).where(
        EXCLUSION.c.id.in_(latest_decisions()), EXCLUSION.c.excluded.is_(True)
    )


def excluded_ids() -> sa.Select[Any]:
    """The ids of the ballots excluded now."""
    return exclusions_now().with_only_columns(EXCLUSION.c.ballot_id)


def is_excluded(session: Session, ballot_id: int) -> bool:
    query = excluded_ids().where(EXCLUSION.c.ballot_id == ballot_id)
    return session.connection().execute(query).first() is not None


def excluded_counts(
    session: Session, survey_keys: list[str], start: object, end: object
) -> dict[int, int]:
    """Currently excluded ballots per office (every office that has some), submitted in
    [start, end)."""
    rows = session.connection().execute(
        _EXCLUDED_COUNTS, {"keys": survey_keys, "start": start, "end": end}
    )
    return {office_id: int(n) for office_id, n in rows}


def _excluded_counts() -> sa.Select[Any]:
    # From the exclusions, few, to their ballots: filtering the ballots by ``excluded_ids()``
    # instead would make SQLite walk every ballot of the sub-tree and period.
    return (
        sa.select(BALLOT.c.office_id, sa.func.count())
        .select_from(EXCLUSION.join(BALLOT, BALLOT.c.id == EXCLUSION.c.ballot_id))
        .where(EXCLUSION.c.id.in_(latest_decisions()), EXCLUSION.c.excluded.is_(True))
        .where(BALLOT.c.survey_key.in_(sa.bindparam("keys", expanding=True)))
        .where(
            BALLOT.c.submitted_at >= sa.bindparam("start"),
            BALLOT.c.submitted_at < sa.bindparam("end"),
        )
        .group_by(BALLOT.c.office_id)
    )


# Built once: every ranking asks, and building the statement cost more than running it.
_EXCLUDED_COUNTS = _excluded_counts()


def pending() -> sa.Select[Any]:
    """Flags no inspector has decided on yet, of ballots not excluded meanwhile."""
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


def standing(session: Session, ballot_ids: Iterable[int]) -> dict[int, str]:
    """Of these ballots, those excluded now ("excluded") or with a flag awaiting review
    ("flagged"); the others are simply counted."""
    ids = list(set(ballot_ids))
    if not ids:
        return {}
    conn = session.connection()
    flags = pending().where(any_of(session, FLAG.c.ballot_id, ids)).subquery()
    out = {row[0]: "flagged" for row in conn.execute(sa.select(flags.c.ballot_id))}
    excluded = excluded_ids().where(any_of(session, EXCLUSION.c.ballot_id, ids))
    out.update({row[0]: "excluded" for row in conn.execute(excluded)})
    return out
