"""Handling cases: who sees which, answering, moving a case on, opening one from a comment.

Heads of unit and inspectors or admins in scope handle cases; the other officers of a unit see
its cases without what could identify the citizen (the receipt, the contact) or the officer
who served them. Every change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.scope import require_office, visible
from app.cases import notices
from app.cases.opening import DEFAULT_DAYS
from app.cases.texts import ANSWER_MAX, clean
from app.core.bulk import any_of
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.receipts import normalise_receipt
from app.core.workdays import due_after
from app.models import Ballot, Case, Office, User
from app.models.account import judges_unit
from app.models.cases import ORIGINS, STATUSES
from app.models.types import utcnow
from app.offices.service import get_by_code, lineage
from app.offices.tree import load_tree
from app.stats.counted import standing

PAGE = 100
# What a list may ask for: a state, or "open" (not answered yet) and "overdue" (computed).
FILTERS = (*STATUSES, "open", "overdue")


@dataclass(frozen=True)
class CaseView:
    """A case as one account may see it: ``receipt``, ``contact`` and ``officer`` are None for
    an officer who is not the unit's head."""

    id: int
    office_code: str
    office_name: str
    origin: str
    status: str
    text: str | None
    opened_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answer: str | None
    handling_satisfied: bool | None
    standing: str  # "" (counted), "flagged" (awaiting review) or "excluded"
    overdue: bool
    receipt: str | None
    contact: str | None
    officer: str | None
    handles: bool  # whether this account may answer it

    @property
    def status_vi(self) -> str:
        return "Quá hạn" if self.overdue else STATUSES[self.status][0]

    @property
    def origin_vi(self) -> str:
        return ORIGINS[self.origin][0]

    def public(self) -> dict[str, Any]:
        """The API's case."""
        return {
            "id": self.id,
            "office": self.office_code,
            "origin": self.origin,
            "receipt": self.receipt,
            "status": self.status,
            "overdue": self.overdue,
            "text": self.text,
            "opened_at": self.opened_at,
            "due_at": self.due_at,
            "answered_at": self.answered_at,
            "answer": self.answer,
            "handling_satisfied": self.handling_satisfied,
            "ballot": self.standing or "counted",
            "contact": self.contact,
            "officer": self.officer,
        }


def is_overdue(case: Case, now: datetime) -> bool:
    return case.answered_at is None and case.status != "closed" and now > case.due_at


def days_for(session: Session, office: Office) -> int:
    """The working days an office's cases have: its own setting, inherited, or 10."""
    days = lineage(session, office).nearest("case_days")
    return int(days) if days else DEFAULT_DAYS


def list_cases(
    session: Session,
    user: User,
    code: str,
    status: str | None = None,
    before: int | None = None,
    limit: int = PAGE,
) -> list[CaseView]:
    """The sub-tree's cases, newest first; ``before`` (a case id) pages back."""
    if status is not None and status not in FILTERS:
        raise InvalidInput(
            f"status: one of {', '.join(FILTERS)}",
            message_vi="Trạng thái không hợp lệ.",
        )
    office = get_by_code(session, code)
    require_office(session, user, office)
    ids = load_tree(session).subtree(office.id or 0)
    query = select(Case).where(any_of(session, Case.office_id, ids))
    now = utcnow()
    unanswered = sa.and_(col(Case.answered_at).is_(None), col(Case.status) != "closed")
    if status == "open":
        query = query.where(unanswered)
    elif status == "overdue":
        query = query.where(unanswered, col(Case.due_at) < now)
    elif status is not None:
        query = query.where(Case.status == status)
    if before is not None:
        query = query.where(col(Case.id) < before)
    cases = list(session.exec(query.order_by(col(Case.id).desc()).limit(limit)))
    return _views(session, user, cases, now)


def get_case(session: Session, user: User, case_id: int) -> CaseView:
    return _views(session, user, [_visible_case(session, user, case_id)], utcnow())[0]


def answer(session: Session, user: User, case_id: int, text: str, address: str = "") -> CaseView:
    """Answer a case (again, while it is not closed: the newer text replaces the older, the
    time of the first answer stays, as it is what was on time or not)."""
    case = _handled_case(session, user, case_id)
    body = clean(text, "Nội dung trả lời", ANSWER_MAX)
    if case.status == "closed":
        raise Conflict(
            "the case is closed", message_vi="Phản ánh này đã đóng, không trả lời thêm được."
        )
    case.answer = body
    case.answered_at = case.answered_at or utcnow()
    case.answered_by = user.username
    case.status = "answered"
    session.add(case)
    session.flush()
    notices.answered(session.connection(), notices.news(load_tree(session), case))
    audit.record(
        session, user.username, "case_answer", f"case {case.id}", body, address, case.office_id
    )
    return get_case(session, user, case_id)


def set_status(
    session: Session, user: User, case_id: int, status: str, address: str = ""
) -> CaseView:
    """Take a new case in hand (``in_progress``) or close an answered one (``closed``)."""
    case = _handled_case(session, user, case_id)
    allowed = {"in_progress": ("new",), "closed": ("answered",)}
    if status not in allowed:
        raise InvalidInput("status: in_progress or closed", message_vi="Trạng thái không hợp lệ.")
    if case.status not in allowed[status]:
        raise Conflict(
            f"a {case.status} case cannot become {status}",
            message_vi=(
                "Chỉ đóng được phản ánh đã trả lời."
                if status == "closed"
                else "Phản ánh này đã được nhận xử lý."
            ),
        )
    case.status = status
    if status == "closed":
        case.closed_at = utcnow()
    session.add(case)
    audit.record(
        session, user.username, "case_status", f"case {case.id}", status, address, case.office_id
    )
    return get_case(session, user, case_id)


def open_from_comment(session: Session, user: User, receipt: str, address: str = "") -> CaseView:
    """A head or inspector opens a case from a ballot's comment; the ballot's case if it has
    one already."""
    if not judges_unit(user):
        raise _not_a_handler()
    ballot = session.exec(
        select(Ballot).where(Ballot.receipt == normalise_receipt(receipt))
    ).first()
    if ballot is None or not ballot.comment:
        raise NotFound(f"no comment on ballot {receipt!r}", message_vi="Không tìm thấy góp ý này.")
    ballot_id = ballot.id or 0
    office = session.get(Office, ballot.office_id)
    if office is None:  # pragma: no cover - a ballot's office is a foreign key
        raise NotFound("no office")
    require_office(session, user, office)
    found = session.exec(select(Case).where(Case.ballot_id == ballot_id)).first()
    if found is not None:
        return get_case(session, user, found.id or 0)
    now = utcnow()
    case = Case(
        office_id=ballot.office_id,
        ballot_id=ballot_id,
        receipt=ballot.receipt,
        origin="staff",
        text=ballot.comment,
        opened_at=now,
        due_at=due_after(now, days_for(session, office)),
        opened_by=user.username,
    )
    session.add(case)
    session.flush()
    notices.opened(session.connection(), [notices.news(load_tree(session), case)])
    audit.record(
        session, user.username, "case_open", f"case {case.id}", None, address, case.office_id
    )
    return get_case(session, user, case.id or 0)


def _not_a_handler() -> Forbidden:
    return Forbidden(
        "only the unit's head, inspectors and admins handle cases",
        message_vi="Chỉ trưởng bộ phận, đoàn kiểm tra hoặc quản trị được xử lý phản ánh.",
    )


def _visible_case(session: Session, user: User, case_id: int) -> Case:
    case = session.get(Case, case_id)
    seen = visible(load_tree(session), user)
    if case is None or (seen is not None and case.office_id not in seen):
        raise NotFound(f"no case {case_id}", message_vi="Không tìm thấy phản ánh này.")
    return case


def _handled_case(session: Session, user: User, case_id: int) -> Case:
    case = _visible_case(session, user, case_id)
    if not judges_unit(user):
        raise _not_a_handler()
    return case


def _views(session: Session, user: User, cases: list[Case], now: datetime) -> list[CaseView]:
    tree = load_tree(session)
    ballots = [c.ballot_id for c in cases if c.ballot_id is not None]
    marks = standing(session, ballots)
    head = judges_unit(user)
    officers: dict[int, str | None] = {}
    if head and ballots:
        rows = session.exec(
            select(Ballot.id, Ballot.officer_code).where(col(Ballot.id).in_(ballots))
        )
        officers = {ballot_id or 0: officer for ballot_id, officer in rows}
    out = []
    for case in cases:
        code, name, _ = tree.offices[case.office_id]
        ballot = case.ballot_id
        out.append(
            CaseView(
                id=case.id or 0,
                office_code=code,
                office_name=name,
                origin=case.origin,
                status=case.status,
                text=case.text,
                opened_at=case.opened_at,
                due_at=case.due_at,
                answered_at=case.answered_at,
                answer=case.answer,
                handling_satisfied=case.handling_satisfied,
                standing=marks.get(ballot, "") if ballot is not None else "",
                overdue=is_overdue(case, now),
                receipt=case.receipt if head else None,
                contact=case.contact if head else None,
                officer=officers.get(ballot) if head and ballot is not None else None,
                handles=head,
            )
        )
    return out
