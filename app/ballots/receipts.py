"""Finding a ballot by the receipt its citizen kept."""

from __future__ import annotations

from sqlmodel import Session, select

from app.core.errors import NotFound
from app.core.receipts import normalise_receipt
from app.models import Ballot, BallotPublic
from app.offices.service import get_by_code


def find_receipt(session: Session, office_code: str, receipt: str) -> tuple[BallotPublic, str]:
    """The receipt and where its ballot came from (``open``, ``counter``, …)."""
    ballot = find_ballot(session, office_code, receipt)
    return BallotPublic.of(ballot.model_dump(), office_code), ballot.source or "open"


def find_ballot(session: Session, office_code: str, receipt: str) -> Ballot:
    """The office's ballot with this receipt (typed as printed, or not)."""
    office = get_by_code(session, office_code)
    ballot = session.exec(
        select(Ballot).where(
            Ballot.office_id == office.id, Ballot.receipt == normalise_receipt(receipt)
        )
    ).first()
    if ballot is None:
        raise NotFound(f"No ballot with receipt {receipt!r} at this office")
    return ballot
