"""Receipt codes: the code a citizen keeps for their ballot, as it is made, printed and typed
back. Every floor that finds a ballot or a case by its receipt reads it the same way."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L or U: a receipt is read aloud and copied by hand.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 10


def new_receipts(count: int) -> list[str]:
    """``count`` receipt codes, each from 80 random bits spent as ten base-30 digits (49 bits of
    them). One call to the OS for them all: reading its random source lets go of the
    interpreter lock, and the ballot writer then waited for the busy event loop to give it back,
    11 % of the writer's time on PostgreSQL with one call a ballot (py-spy, bench/submit.py)."""
    pool = secrets.token_bytes(10 * count)
    return [_digits(int.from_bytes(pool[at : at + 10])) for at in range(0, 10 * count, 10)]


def _digits(number: int) -> str:
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
