"""Receipts: the code a citizen keeps for their ballot, and finding a ballot by it."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from app.core.errors import NotFound
from app.models import Ballot, BallotPublic
from app.offices.service import get_by_code

# No 0/O, 1/I/L or U: a receipt is read aloud and copied by hand.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 10


def new_receipt() -> str:
    # One call to the OS for 80 random bits, spent as ten base-30 digits (49 bits of them).
    number = int.from_bytes(secrets.token_bytes(10))
    digits = []
    for _ in range(RECEIPT_LENGTH):
        number, digit = divmod(number, len(RECEIPT_ALPHABET))
        digits.append(RECEIPT_ALPHABET[digit])
    return "".join(digits)


def format_receipt(receipt: str) -> str:
    half = len(receipt) // 2
    return f"{receipt[:half]}-{receipt[half:]}"


def normalise_receipt(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def find_receipt(session: Session, office_code: str, receipt: str) -> tuple[BallotPublic, str]:
    """The receipt and where its ballot came from (``open``, ``counter``, …)."""
    office = get_by_code(session, office_code)
    ballot = session.exec(
        select(Ballot).where(
            Ballot.office_id == office.id, Ballot.receipt == normalise_receipt(receipt)
        )
    ).first()
    if ballot is None:
        raise NotFound(f"No ballot with receipt {receipt!r} at this office")
    return BallotPublic.of(ballot.model_dump(), office.code), ballot.source or "open"
