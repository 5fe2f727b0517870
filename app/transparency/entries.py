"""What the public log says of a ballot or a decision: its entries, one canonical encoding each.

An entry holds only what anyone may see: the office, the survey and its version, the answers,
the source the figures count it under, the day (in Vietnam's time) and a hash of the receipt,
so the citizen who holds the receipt can find their ballot and nobody else can name it. Never a
device, an address hash, an officer, a dossier or a comment. A decision (excluding a ballot from
the figures, or reinstating it) names the ballot by the same receipt hash, its day and source
(where the figures move) and says what kind of decision it was, never its written reason. From
the entries alone anyone can count what the published figures count.

The encoding is JSON with its keys sorted, no spaces, UTF-8 in NFC: one byte string per entry,
which the log hashes as its leaf (docs/transparency.md).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

VERSION = 1
BALLOT = "ballot"
EXCLUDE = "exclude"
REINSTATE = "reinstate"
KINDS = (BALLOT, EXCLUDE, REINSTATE)


class EntryError(ValueError):
    """Bytes that are not an entry of this log."""


def receipt_hash(receipt: str) -> str:
    """The receipt as the log names it. A domain prefix keeps it from meaning anything else."""
    return hashlib.sha256(f"hailong receipt {receipt}".encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    kind: str
    office: str
    day: date
    receipt: str  # its hash (``receipt_hash``)
    survey: str = ""
    version: int = 0
    source: str = ""
    answers: dict[str, int] = field(default_factory=dict)
    category: str = ""  # a decision's kind: "ballot" or "cluster:<rule>"
    cast: date | None = None  # a decision's ballot's day: the month its figures move in

    def encode(self) -> bytes:
        body: dict[str, Any] = {
            "v": VERSION,
            "kind": self.kind,
            "office": self.office,
            "day": self.day.isoformat(),
            "receipt": self.receipt,
        }
        if self.kind == BALLOT:
            body |= {
                "survey": self.survey,
                "version": self.version,
                "source": self.source,
                "answers": self.answers,
            }
        else:
            cast = self.cast.isoformat() if self.cast else ""
            body |= {"category": self.category, "cast": cast, "source": self.source}
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return unicodedata.normalize("NFC", text).encode()

    @classmethod
    def decode(cls, data: bytes) -> Entry:
        """An entry from its bytes, refusing any that is not exactly as ``encode`` writes it."""
        try:
            body = json.loads(data.decode())
            kind = body["kind"]
            entry = cls(
                kind=kind,
                office=body["office"],
                day=date.fromisoformat(body["day"]),
                receipt=body["receipt"],
                survey=body.get("survey", ""),
                version=body.get("version", 0),
                source=body.get("source", ""),
                answers=body.get("answers", {}),
                category=body.get("category", ""),
                cast=date.fromisoformat(body["cast"]) if kind != BALLOT else None,
            )
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EntryError(f"not an entry: {exc}") from exc
        if not isinstance(body, dict) or body.get("v") != VERSION or kind not in KINDS:
            raise EntryError("not an entry of this log's version")
        if not all(isinstance(v, int) for v in entry.answers.values()):
            raise EntryError("an answer that is not a number")
        if entry.encode() != data:
            raise EntryError("an entry not in its canonical form")
        return entry
