"""Raw ballot exports, streamed: one row per ballot, a million of them without holding them in
memory. Each file comes with a manifest: the filters, the row count, the first and last chain
hashes and the file's SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core.timeutil import to_local
from app.models import Answer, Ballot, Exclusion, Office
from app.models.types import utcnow
from app.stats.periods import Period
from app.surveys.definition import SurveyDefinition

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
ANSWER = Answer.__table__  # type: ignore[attr-defined]
OFFICE = Office.__table__  # type: ignore[attr-defined]
EXCLUSION = Exclusion.__table__  # type: ignore[attr-defined]
CHUNK = 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class Export:
    """What one export covers, and what the manifest will say about it."""

    offices: dict[int, tuple[str, str]]  # id -> (code, name)
    survey: SurveyDefinition
    period: Period
    snapshot: int | None = None  # the newest ballot id included, so a file can be reproduced
    rows: int = 0
    first_hash: str | None = None
    last_hash: str | None = None
    digest: Any = field(default_factory=hashlib.sha256)

    def note(self, row: dict[str, Any]) -> None:
        """Count a row into what the manifest will say (every format calls this)."""
        self.rows += 1
        self.first_hash = self.first_hash or row["chain_hash"]
        self.last_hash = row["chain_hash"]

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
            *[q.text_vi for q in self.survey.questions],
            "Góp ý",
            "Dữ liệu mẫu",
            "Loại khỏi thống kê",
            "Lý do loại",
            "Mã băm chuỗi",
        ]

    def manifest(self, file_name: str, fmt: str, generated_by: str) -> dict[str, Any]:
        return {
            "file": file_name,
            "format": fmt,
            "filters": {
                "offices": sorted(code for code, _ in self.offices.values()),
                "survey": self.survey.key,
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


def ballots(conn: Connection, export: Export) -> Iterator[dict[str, Any]]:
    """Every ballot of the export, oldest first, with its answers and exclusion, in chunks."""
    start, end = export.period.bounds_utc()
    last_id = 0
    keys = [q.key for q in export.survey.questions]
    while True:
        rows = conn.execute(
            sa.select(BALLOT)
            .where(BALLOT.c.office_id.in_(list(export.offices)), BALLOT.c.id > last_id)
            .where(BALLOT.c.survey_key == export.survey.key)
            .where(BALLOT.c.submitted_at >= start, BALLOT.c.submitted_at < end)
            .where(BALLOT.c.id <= (export.snapshot if export.snapshot is not None else 2**62))
            .order_by(BALLOT.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        given: dict[int, dict[str, int]] = {i: {} for i in ids}
        for ballot_id, question, value in conn.execute(
            sa.select(ANSWER.c.ballot_id, ANSWER.c.question_key, ANSWER.c.value).where(
                ANSWER.c.ballot_id.in_(ids)
            )
        ):
            given[ballot_id][question] = value
        decisions: dict[int, tuple[bool, str]] = {}
        for ballot_id, excluded, reason in conn.execute(
            sa.select(EXCLUSION.c.ballot_id, EXCLUSION.c.excluded, EXCLUSION.c.reason)
            .where(EXCLUSION.c.ballot_id.in_(ids))
            .order_by(EXCLUSION.c.id)
        ):
            decisions[ballot_id] = (excluded, reason)  # the latest decision stands
        for row in rows:
            code, name = export.offices[row.office_id]
            excluded, reason = decisions.get(row.id, (False, ""))
            yield {
                "office": code,
                "office_name": name,
                "counter": row.counter,
                "time": to_local(row.submitted_at),
                "channel": row.channel,
                "survey": row.survey_key,
                "survey_version": row.survey_version,
                "receipt": row.receipt,
                "answers": [given[row.id].get(k) for k in keys],
                "comment": row.comment or "",
                "demo": bool(row.is_demo),
                "excluded": excluded,
                "exclusion_reason": reason if excluded else "",
                "chain_hash": row.chain_hash,
            }
        last_id = ids[-1]


def _batched(export: Export, lines: Iterator[tuple[dict[str, Any], bytes]]) -> Iterator[bytes]:
    """Each encoded row counted into the manifest and the digest, handed out 500 at a time."""
    pending: list[bytes] = []
    for row, data in lines:
        export.note(row)
        export.digest.update(data)
        pending.append(data)
        if len(pending) >= 500:
            yield b"".join(pending)
            pending = []
    if pending:
        yield b"".join(pending)


def csv_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel shows Vietnamese right), RFC 4180 quoting, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> bytes:
        data = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(export.header())
    head = "\ufeff".encode() + take()
    export.digest.update(head)
    yield head

    def encode(row: dict[str, Any]) -> bytes:
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    row["office"],
                    row["office_name"],
                    row["counter"] or "",
                    row["time"].isoformat(timespec="seconds"),
                    row["channel"],
                    row["survey"],
                    row["survey_version"],
                    row["receipt"],
                    *["" if a is None else a for a in row["answers"]],
                    row["comment"],
                    "có" if row["demo"] else "",
                    "có" if row["excluded"] else "",
                    row["exclusion_reason"],
                    row["chain_hash"] or "",
                )
            ]
        )
        return take()

    def lines() -> Iterator[tuple[dict[str, Any], bytes]]:
        for row in ballots(conn, export):
            yield row, encode(row)

    yield from _batched(export, lines())


def jsonl_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    keys = [q.key for q in export.survey.questions]

    def lines() -> Iterator[tuple[dict[str, Any], bytes]]:
        for row in ballots(conn, export):
            record = {
                **row,
                "time": row["time"].isoformat(),
                "answers": dict(zip(keys, row["answers"], strict=True)),
            }
            yield (
                row,
                (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode(),
            )

    yield from _batched(export, lines())
