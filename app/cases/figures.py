"""What the cases of a unit and period add up to, and the two PAKN ratios of Quyết định 766.

A period's cases are those opened in it. Of them:

- ``answered``: answered (at any time up to now); ``on_time``: answered by their due time;
- ``overdue``: not answered and past their due time now;
- ``handling_rated`` / ``handling_satisfied``: the citizens who rated how their case was handled,
  and those satisfied with it.

The ratios, each None (shown as a dash) when nothing is under it yet:

- handled on time = on_time / (answered + overdue): of the cases whose outcome is known (an
  answer, or a due time gone by without one), the share answered by their due time; a case
  neither answered nor due yet is in neither;
- satisfied with handling = handling_satisfied / handling_rated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core.bulk import any_of
from app.models import Case
from app.models.types import utcnow
from app.offices.tree import load_tree
from app.stats.periods import Period

CASE = Case.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CaseFigures:
    opened: int = 0
    answered: int = 0
    on_time: int = 0
    overdue: int = 0
    handling_rated: int = 0
    handling_satisfied: int = 0

    def __add__(self, other: CaseFigures) -> CaseFigures:
        return CaseFigures(*(a + b for a, b in zip(self.counts(), other.counts(), strict=True)))

    def counts(self) -> tuple[int, ...]:
        return tuple(vars(self).values())

    @property
    def on_time_ratio(self) -> float | None:
        known = self.answered + self.overdue
        return self.on_time / known if known else None

    @property
    def handling_ratio(self) -> float | None:
        rated = self.handling_rated
        return self.handling_satisfied / rated if rated else None

    def public(self) -> dict[str, Any]:
        return {
            **vars(self),
            "on_time_ratio": self.on_time_ratio,
            "handling_satisfied_ratio": self.handling_ratio,
        }


def by_office(
    session: Session,
    office_ids: Iterable[int] | None,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> dict[int, CaseFigures]:
    """Each office's own figures (offices with no case in the period are left out); every
    office when ``office_ids`` is None."""
    moment = now or utcnow()
    answered = CASE.c.answered_at.is_not(None)
    unanswered = sa.and_(CASE.c.answered_at.is_(None), CASE.c.status != "closed")

    def count(condition: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = sa.select(
        CASE.c.office_id,
        sa.func.count(),
        count(answered),
        count(sa.and_(answered, CASE.c.answered_at <= CASE.c.due_at)),
        count(sa.and_(unanswered, CASE.c.due_at < moment)),
        count(CASE.c.handling_satisfied.is_not(None)),
        count(CASE.c.handling_satisfied.is_(True)),
    ).where(CASE.c.opened_at >= start, CASE.c.opened_at < end)
    if office_ids is not None:
        query = query.where(any_of(session, CASE.c.office_id, office_ids))
    rows = session.connection().execute(query.group_by(CASE.c.office_id))
    return {row[0]: CaseFigures(*(int(v) for v in row[1:])) for row in rows}


# Up to this many offices, the sub-trees' cases are asked for by office id; beyond it (a
# nation's provinces: 10,234 ids) sending the ids cost 8.5 ms, counting every office's cases
# of the period and keeping the sub-trees' 0.8 ms (PostgreSQL 15).
LISTED_OFFICES = 2000


def of_subtrees(
    session: Session, roots: list[int], period: Period, now: datetime | None = None
) -> dict[int, CaseFigures]:
    """Each root office's figures with its whole sub-tree's, for the period's days."""
    tree = load_tree(session)
    chosen = set(roots)
    listed = None
    if sum(tree.sizes.get(root, 1) for root in roots) <= LISTED_OFFICES:
        listed = [office for root in roots for office in tree.subtree(root)]
    start, end = period.bounds_utc()
    out = {root: CaseFigures() for root in roots}
    for office, figures in by_office(session, listed, start, end, now).items():
        for root in tree.roots_over(office, chosen):
            out[root] += figures
    return out


def waiting(
    session: Session, office_ids: Iterable[int], now: datetime | None = None
) -> tuple[int, int]:
    """The sub-tree's cases waiting for an answer now, whenever opened, and how many of them
    are overdue."""
    moment = now or utcnow()
    unanswered = sa.and_(CASE.c.answered_at.is_(None), CASE.c.status != "closed")
    row = (
        session.connection()
        .execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((CASE.c.due_at < moment, 1), else_=0)), 0),
            ).where(unanswered, any_of(session, CASE.c.office_id, office_ids))
        )
        .one()
    )
    return int(row[0]), int(row[1])
