"""Receipt codes: the code a citizen keeps for their ballot, as it is made, printed and typed
back. Every floor that finds a ballot or a case by its receipt reads it the same way."""

from __future__ import annotations

import secrets

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
