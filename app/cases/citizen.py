"""The citizen's side of a case, reached by the receipt alone: sending feedback (phản ánh, kiến
nghị), reading the unit's answer, rating how it was handled, once. No account, and no personal
data unless the citizen leaves a contact and ticks the consent box; it is erased 90 days after
the case closes (Nghị định 13/2023)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.cases import notices
from app.cases.service import days_for, is_overdue
from app.cases.texts import FEEDBACK_MAX, clean, clean_contact
from app.core.errors import Conflict, NotFound
from app.core.receipts import normalise_receipt
from app.core.workdays import due_after
from app.models import Ballot, Case, Office
from app.models.types import utcnow
from app.offices.service import get_by_code
from app.offices.tree import load_tree

CITIZEN = "người dân"  # who the audit log says acted, never who they are
# Feedback a receipt may still send while earlier feedback is unanswered: enough for a real
# second matter, not a way to flood a unit.
OPEN_FEEDBACK_MAX = 3
CONTACT_KEPT = timedelta(days=90)


@dataclass(frozen=True)
class ReceiptCase:
    """A case as its citizen sees it on the receipt page."""

    id: int
    origin: str
    text: str | None
    opened_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answer: str | None
    handling_satisfied: bool | None
    overdue: bool
    closed: bool

    @property
    def may_rate(self) -> bool:
        return self.answer is not None and self.handling_satisfied is None


def _ballot(session: Session, office_code: str, receipt: str) -> tuple[Office, Ballot]:
    office = get_by_code(session, office_code)
    ballot = session.exec(
        select(Ballot).where(
            Ballot.office_id == office.id, Ballot.receipt == normalise_receipt(receipt)
        )
    ).first()
    if ballot is None:
        raise NotFound(
            f"no receipt {receipt!r} at this office",
            message_vi="Không tìm thấy mã phiếu này tại đơn vị.",
        )
    return office, ballot


def cases_of_receipt(session: Session, office_id: int, receipt: str) -> list[ReceiptCase]:
    """The cases of a stored ballot's receipt (as the ballot holds it), oldest first."""
    now = utcnow()
    cases = session.exec(
        select(Case)
        .where(Case.office_id == office_id, Case.receipt == receipt)
        .order_by(col(Case.id))
    )
    return [
        ReceiptCase(
            id=case.id or 0,
            origin=case.origin,
            text=case.text,
            opened_at=case.opened_at,
            due_at=case.due_at,
            answered_at=case.answered_at,
            answer=case.answer,
            handling_satisfied=case.handling_satisfied,
            overdue=is_overdue(case, now),
            closed=case.status == "closed",
        )
        for case in cases
    ]


def send_feedback(
    session: Session,
    office_code: str,
    receipt: str,
    text: str,
    contact: str = "",
    consent: bool = False,
) -> int:
    """A citizen's phản ánh, kiến nghị from their receipt page; the new case's id."""
    body = clean(text, "Nội dung phản ánh", FEEDBACK_MAX)
    kept = clean_contact(contact, consent)
    office, ballot = _ballot(session, office_code, receipt)
    waiting = session.exec(
        select(sa.func.count())
        .select_from(Case)
        .where(
            Case.office_id == ballot.office_id,
            Case.receipt == ballot.receipt,
            Case.origin == "citizen",
            col(Case.answered_at).is_(None),
        )
    ).one()
    if waiting >= OPEN_FEEDBACK_MAX:
        raise Conflict(
            "too many unanswered feedbacks on this receipt",
            message_vi=(
                f"Ông/Bà đã gửi {waiting} phản ánh chưa được trả lời. Xin chờ đơn vị trả lời "
                "rồi gửi thêm."
            ),
        )
    now = utcnow()
    case = Case(
        office_id=ballot.office_id,
        ballot_id=ballot.id,
        receipt=ballot.receipt,
        origin="citizen",
        text=body,
        opened_at=now,
        due_at=due_after(now, days_for(session, office)),
        contact=kept,
    )
    session.add(case)
    session.flush()
    notices.opened(session.connection(), [notices.news(load_tree(session), case)])
    audit.record(session, CITIZEN, "case_open", f"case {case.id}", office_id=case.office_id)
    return case.id or 0


def rate_handling(
    session: Session, office_code: str, receipt: str, case_id: int, satisfied: bool
) -> None:
    """The citizen's one verdict on how their case was handled, once it is answered."""
    _, ballot = _ballot(session, office_code, receipt)
    case = session.get(Case, case_id)
    if case is None or case.receipt != ballot.receipt or case.office_id != ballot.office_id:
        raise NotFound(f"no case {case_id} on this receipt", message_vi="Không tìm thấy phản ánh.")
    if case.answer is None:
        raise Conflict(
            "the case is not answered yet",
            message_vi="Đơn vị chưa trả lời phản ánh này, chưa đánh giá được.",
        )
    if case.handling_satisfied is not None:
        raise Conflict(
            "the handling was already rated",
            message_vi="Ông/Bà đã đánh giá việc xử lý phản ánh này rồi.",
        )
    case.handling_satisfied = satisfied
    case.handling_rated_at = utcnow()
    session.add(case)
    audit.record(
        session,
        CITIZEN,
        "case_handling_rated",
        f"case {case.id}",
        "hài lòng" if satisfied else "không hài lòng",
        office_id=case.office_id,
    )


def erase_contacts(session: Session, now: datetime | None = None) -> int:
    """Erase the contacts of cases closed 90 days ago or more; how many were erased."""
    moment = now or utcnow()
    result = session.connection().execute(
        sa.update(Case)
        .where(
            col(Case.contact).is_not(None),
            col(Case.closed_at).is_not(None),
            col(Case.closed_at) <= moment - CONTACT_KEPT,
        )
        .values(contact=None, contact_erased_at=moment)
    )
    return int(result.rowcount or 0)
