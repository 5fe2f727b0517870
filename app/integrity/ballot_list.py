"""Browsing an office's stored ballots, newest first, with each one's exclusion state: the page
where inspectors find a ballot and exclude it from the statistics (or reinstate it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session

from app.auth.scope import can_inspect, require_office
from app.core.bulk import any_of
from app.core.errors import NotFound
from app.core.receipts import normalise_receipt
from app.models import Answer, Ballot, Exclusion, User
from app.models.account import judges_unit
from app.models.sources import SOURCES
from app.offices.service import get_by_code
from app.offices.tree import Tree, load_tree
from app.stats.counted import excluded_ids
from app.stats.periods import Period, date_range, period_of, today
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import SurveyDefinition
from app.surveys.service import survey_for_office, survey_version

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
ANSWER = Answer.__table__  # type: ignore[attr-defined]
EXCLUSION = Exclusion.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
PAGE = 50


@dataclass
class Decision:
    excluded: bool
    reason: str
    at: datetime
    by: str


@dataclass
class BallotRow:
    id: int
    receipt: str
    submitted_at: datetime
    office_code: str
    office_name: str
    counter: int | None
    channel: str
    source: str  # how it came (SOURCES); "open" for ballots stored before sources were kept
    officer_code: str | None
    answers: list[int | None]
    comment: str | None
    decision: Decision | None  # the latest one; None when never excluded
    received_at: datetime | None = None  # a kiosk's ballot sent late: when it arrived

    @property
    def excluded(self) -> bool:
        return self.decision is not None and self.decision.excluded


@dataclass
class BallotPage:
    rows: list[BallotRow]
    older: int | None  # the ``before`` of the next page, when there is one


def latest_decisions(conn: Connection, ids: list[int]) -> dict[int, Decision]:
    """The decision that stands for each ballot (the newest), with who made it."""
    found: dict[int, Decision] = {}
    if not ids:
        return found
    rows = conn.execute(
        sa.select(
            EXCLUSION.c.ballot_id,
            EXCLUSION.c.excluded,
            EXCLUSION.c.reason,
            EXCLUSION.c.at,
            USER.c.username,
        )
        .select_from(EXCLUSION.join(USER, USER.c.id == EXCLUSION.c.user_id))
        .where(EXCLUSION.c.ballot_id.in_(ids))
        .order_by(EXCLUSION.c.id)
    )
    for ballot_id, excluded, reason, at, by in rows:
        found[ballot_id] = Decision(bool(excluded), reason, at, by)
    return found


def browse(
    conn: Connection,
    tree: Tree,
    office_ids: list[int],
    survey: SurveyDefinition,
    period: Period,
    *,
    receipt: str = "",
    excluded_only: bool = False,
    before: int | None = None,
    limit: int = PAGE,
    source: str | None = None,
) -> BallotPage:
    """One page of the sub-tree's ballots of one survey in the period, the latest received
    first (by the ballot's time; ballots of the same instant by id); ``before`` is the last
    ballot of the previous page."""
    start, end = period.bounds_utc()
    query = (
        sa.select(BALLOT)
        .where(any_of(conn, BALLOT.c.office_id, office_ids))
        .where(BALLOT.c.survey_key == survey.key)
        .where(BALLOT.c.submitted_at >= start, BALLOT.c.submitted_at < end)
        .order_by(BALLOT.c.submitted_at.desc(), BALLOT.c.id.desc())
        .limit(limit + 1)
    )
    if receipt:
        query = query.where(BALLOT.c.receipt == receipt)
    if excluded_only:
        query = query.where(BALLOT.c.id.in_(excluded_ids()))
    if source == "open":  # ballots from before sources were kept came through the open QR
        query = query.where(sa.or_(BALLOT.c.source == source, BALLOT.c.source.is_(None)))
    elif source is not None:
        query = query.where(BALLOT.c.source == source)
    if before is not None:
        at = sa.select(BALLOT.c.submitted_at).where(BALLOT.c.id == before).scalar_subquery()
        query = query.where(
            sa.or_(
                BALLOT.c.submitted_at < at,
                sa.and_(BALLOT.c.submitted_at == at, BALLOT.c.id < before),
            )
        )
    found = conn.execute(query).all()
    more = len(found) > limit
    rows = _rows(conn, tree, survey, found[:limit])
    return BallotPage(rows, rows[-1].id if more and rows else None)


def one(session: Session, catalog: SurveyCatalog, tree: Tree, ballot: Ballot) -> BallotRow:
    """A single ballot as the page shows it (after a decision, to redraw its row)."""
    survey = survey_version(session, catalog, ballot.survey_key, ballot.survey_version)
    if survey is None:  # pragma: no cover - every stored ballot's version is published
        raise NotFound("survey version not found")
    conn = session.connection()
    found = conn.execute(sa.select(BALLOT).where(BALLOT.c.id == ballot.id)).all()
    return _rows(conn, tree, survey, found)[0]


def _rows(
    conn: Connection, tree: Tree, survey: SurveyDefinition, found: Sequence[Any]
) -> list[BallotRow]:
    ids = [row.id for row in found]
    given: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        for ballot_id, question, value in conn.execute(
            sa.select(ANSWER.c.ballot_id, ANSWER.c.question_key, ANSWER.c.value).where(
                ANSWER.c.ballot_id.in_(ids)
            )
        ):
            given[ballot_id][question] = value
    decisions = latest_decisions(conn, ids)
    keys = [q.key for q in survey.questions]
    return [
        BallotRow(
            id=row.id,
            receipt=row.receipt,
            submitted_at=row.submitted_at,
            office_code=tree.offices[row.office_id][0],
            office_name=tree.offices[row.office_id][1],
            counter=row.counter,
            channel=row.channel,
            source=row.source or "open",
            officer_code=row.officer_code,
            answers=[given[row.id].get(k) for k in keys],
            comment=row.comment,
            decision=decisions.get(row.id),
            received_at=row.received_at,
        )
        for row in found
    ]


@dataclass
class BallotQuery:
    """What the ballots page asks for: days (default this month), survey, a receipt to find,
    only the excluded ones, and the page (``before`` a ballot id)."""

    start: date | None = None
    end: date | None = None
    survey: str | None = None
    receipt: str = ""
    excluded: bool = False
    before: int | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        self.period()  # a wrong range is refused when the query is read, not halfway through

    def period(self) -> Period:
        if self.start or self.end:
            return date_range(self.start or self.end, self.end or self.start)  # type: ignore[arg-type]
        return period_of("month", today())

    def params(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "from": self.start,
            "to": self.end,
            "survey": self.survey,
            "receipt": self.receipt or None,
            "excluded": "1" if self.excluded else None,
            "before": self.before,
            "source": self.source,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v is not None})


def ballots_page(
    session: Session, catalog: SurveyCatalog, user: User, code: str, query: BallotQuery
) -> dict[str, Any]:
    office = get_by_code(session, code)
    require_office(session, user, office)
    survey = (
        catalog.get(query.survey) if query.survey else survey_for_office(session, catalog, office)
    )
    if survey is None:
        raise NotFound("unknown survey", message_vi="Không có phiếu khảo sát này.")
    tree = load_tree(session)
    period = query.period()
    page = browse(
        session.connection(),
        tree,
        tree.subtree(office.id or 0),
        survey,
        period,
        receipt=normalise_receipt(query.receipt),
        excluded_only=query.excluded,
        before=query.before,
        source=query.source,
    )
    return {
        "office": office,
        "survey": survey,
        "period": period,
        "query": query,
        "page": page,
        "user": user,
        "may_decide": can_inspect(user),
        "opens_cases": judges_unit(user),
        "base": f"/staff/offices/{quote(office.code, safe='')}",
        "surveys": catalog.surveys,
        "sources": SOURCES,
        # Which officer took the dossier, beside each rating, is for those who judge the unit
        # (inspectors, admins, its head), not for the officers being compared.
        "show_officers": judges_unit(user),
    }
