"""Free text that people type (comments, reasons): stored as it will be displayed."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides and isolates, and zero-width characters: they make a text display
# differently from what it stores (a comment that reads backwards, a reason with hidden words).
INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"  # what a decoder leaves for bytes that were not UTF-8


def clean_text(value: str) -> str:
    """NFC, Windows line ends made plain, invisible and direction-changing characters removed."""
    return INVISIBLE.sub("", unicodedata.normalize("NFC", value.replace("\r\n", "\n")))


EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")


def is_email(text: str) -> bool:
    """An address mail can be sent to (the common form; no quoted or IP-literal parts)."""
    return len(text) <= 254 and EMAIL.fullmatch(text) is not None
