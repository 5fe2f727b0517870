"""Raw ballot exports, streamed: one row per ballot, a million of them without holding them in
memory. Each file comes with a manifest: the filters, the row count, the first and last chain
hashes and the file's SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from app.exports.rows import (
    CHAIN,
    CHANNEL,
    COMMENT,
    COUNTER,
    DEMO,
    DEVICE,
    EXCLUDED,
    FLAGS,
    INTEGRATION,
    NAME,
    OFFICE,
    OFFICER,
    REASON,
    RECEIPT,
    SOURCE,
    SURVEY,
    TIME,
    VERSION,
    ballot_rows,
    csv_chunks,
)
from app.models import Ballot
from app.models.types import utcnow
from app.stats.periods import Period
from app.surveys.definition import Question, SurveyDefinition

log = logging.getLogger("hailong")
BALLOT = Ballot.__table__  # type: ignore[attr-defined]
BATCH = 2000  # rows per chunk handed out (~400 kB of CSV)
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Export:
    """What one export covers, and what the manifest will say about it."""

    offices: dict[int, tuple[str, str]]  # id -> (code, name)
    survey: SurveyDefinition  # the office's own, or the one asked for: it names the file's survey
    period: Period
    snapshot: int | None = None  # the newest ballot id included, so a file can be reproduced
    # Every survey whose ballots the file holds, and the union of their questions (one column
    # each, the office's own survey's first); by default just ``survey``.
    surveys: tuple[str, ...] = ()
    questions: list[Question] = field(default_factory=list)
    # Whether the officer a rating names is filled in: for inspectors, admins and the unit's
    # head only, as on the pages (the column is there for everyone, empty otherwise).
    officers: bool = False
    # Whether the detectors' flags are filled in: for inspectors and admins only (the column is
    # there for everyone, empty otherwise).
    flags: bool = False
    rows: int = 0
    first_hash: str | None = None
    last_hash: str | None = None
    digest: Any = field(default_factory=hashlib.sha256)

    def __post_init__(self) -> None:
        self.surveys = self.surveys or (self.survey.key,)
        self.questions = self.questions or list(self.survey.questions)

    def note(self, row: tuple[Any, ...]) -> None:
        """Count a row into what the manifest will say (every format calls this)."""
        self.count(row[CHAIN])

    def count(self, chain_hash: str | None) -> None:
        self.rows += 1
        self.first_hash = self.first_hash or chain_hash
        self.last_hash = chain_hash

    def count_many(self, chain_hashes: list[str | None]) -> None:
        if chain_hashes:
            self.rows += len(chain_hashes)
            self.first_hash = self.first_hash or next((h for h in chain_hashes if h), None)
            self.last_hash = chain_hashes[-1]

    def header(self) -> list[str]:
        return [
            "Mã đơn vị",
            "Tên đơn vị",
            "Quầy",
            "Thời gian",
            "Kênh",
            "Phiếu",
            "Phiên bản",
            "Mã phiếu",
            *[q.text_vi for q in self.questions],
            "Nguồn",
            "Thiết bị",
            "Phần mềm một cửa",
            "Cán bộ tiếp nhận",
            "Góp ý",
            "Dữ liệu mẫu",
            "Loại khỏi thống kê",
            "Lý do loại",
            "Phiếu nghi vấn",
            "Mã băm chuỗi",
        ]

    def manifest(self, file_name: str, fmt: str, generated_by: str) -> dict[str, Any]:
        return {
            "file": file_name,
            "format": fmt,
            "filters": {
                "offices": sorted(code for code, _ in self.offices.values()),
                "survey": self.survey.key if len(self.surveys) == 1 else None,
                "surveys": list(self.surveys),
                "from": self.period.start.isoformat(),
                "to": self.period.end.isoformat(),
            },
            "rows": self.rows,
            "first_chain_hash": self.first_hash,
            "last_chain_hash": self.last_hash,
            "sha256": self.digest.hexdigest(),
            "generated_at": utcnow().isoformat(),
            "generated_by": generated_by,
        }


def _counted(export: Export, rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        export.note(row)
        yield row


def csv_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel shows Vietnamese right), RFC 4180 quoting, CRLF; the lines
    formatted by ``csv_chunks``, handed out ``BATCH`` at a time."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(export.header())
    head = "\ufeff".encode() + buffer.getvalue().encode()
    export.digest.update(head)
    yield head
    for text, chains in csv_chunks(conn, export, BATCH):
        export.count_many(chains)
        data = text.encode()
        export.digest.update(data)
        yield data


def jsonl_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    keys = [q.key for q in export.questions]
    lines: list[bytes] = []
    for row in _counted(export, ballot_rows(conn, export, spreadsheet=False)):
        record = {
            "office": row[OFFICE],
            "office_name": row[NAME],
            "counter": row[COUNTER],
            "time": row[TIME].isoformat() + "+07:00",
            "channel": row[CHANNEL],
            "survey": row[SURVEY],
            "survey_version": row[VERSION],
            "receipt": row[RECEIPT],
            "answers": dict(zip(keys, row[RECEIPT + 1 : SOURCE], strict=True)),
            "source": row[SOURCE],
            "device": row[DEVICE],
            "integration": row[INTEGRATION],
            "officer": row[OFFICER] or None,
            "comment": row[COMMENT],
            "demo": row[DEMO],
            "excluded": row[EXCLUDED],
            "exclusion_reason": row[REASON],
            "flags": row[FLAGS],
            "chain_hash": row[CHAIN],
        }
        lines.append(
            (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        )
        if len(lines) == BATCH:
            data = b"".join(lines)
            export.digest.update(data)
            yield data
            lines = []
    if lines:
        data = b"".join(lines)
        export.digest.update(data)
        yield data


INTERRUPTED_VI = "XUẤT DỮ LIỆU BỊ GIÁN ĐOẠN: TỆP NÀY KHÔNG ĐẦY ĐỦ"
INTERRUPTED_EN = "EXPORT INTERRUPTED: THIS FILE IS INCOMPLETE"


def marked_on_failure(chunks: Iterator[bytes], fmt: str) -> Iterator[bytes]:
    """A stream that fails after its first byte cannot change its status any more; so the
    file itself says it is cut short (CSV and JSON Lines: a last line no reader can take for
    data; XLSX: a truncated ZIP does not open at all), and the connection is then aborted. The
    manifest's row count shows the same."""
    try:
        yield from chunks
    except Exception:
        log.exception("export stream failed after its first byte")
        if fmt == "csv":
            yield f"\r\n#### {INTERRUPTED_VI} / {INTERRUPTED_EN} ####\r\n".encode()
        elif fmt == "jsonl":
            marker = {"error": "export_interrupted", "message": INTERRUPTED_VI}
            yield (json.dumps(marker, ensure_ascii=False) + "\n").encode()
        raise


def file_responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a download: one media type per format."""
    content = {
        MEDIA[f].split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for f in formats
    }
    return {200: {"description": "The file, streamed", "content": content}}
