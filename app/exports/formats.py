"""A ballot export as a file, streamed: CSV (UTF-8 with a BOM, so Excel shows Vietnamese right;
RFC 4180 quoting, CRLF), JSON Lines, or an XLSX workbook. All three write the rows of the one
query (``ballot_query.py``) and count them into the manifest as they go."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection

from app.exports import xlsx
from app.exports.ballot_export import Export
from app.exports.ballot_query import chunks, layout

log = logging.getLogger("hailong")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def csv_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    """The header written by the ``csv`` module, the lines as the database formats them."""
    columns = layout(conn, export, "csv")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(columns.header())
    yield export.written("\ufeff".encode() + buffer.getvalue().encode())
    for rows in chunks(conn, export, columns):
        export.count([chain for _, chain in rows])
        yield export.written(("\r\n".join([line for line, _ in rows]) + "\r\n").encode())


def jsonl_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    keys = [q.key for q in export.questions]
    columns = layout(conn, export, "json")
    names, answers = columns.names, columns.answers
    chain = columns.at("chain_hash")
    for rows in chunks(conn, export, columns):
        export.count([row[chain] for row in rows])
        lines = []
        for row in rows:
            record = dict(zip(names, row, strict=True))
            given = [record.pop(name) for name in answers]
            record["answers"] = dict(zip(keys, given, strict=True))
            lines.append(json.dumps(_renamed(record), ensure_ascii=False, separators=(",", ":")))
        yield export.written(("\n".join(lines) + "\n").encode())


def _renamed(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON Lines record: the columns under the names its readers know."""
    return {
        "office": record["office"],
        "office_name": record["office_name"],
        "counter": record["counter"],
        "time": record["time"],
        "channel": record["channel"],
        "survey": record["survey"],
        "survey_version": record["version"],
        "scale": record["scale"],
        "receipt": record["receipt"],
        "answers": record["answers"],
        "source": record["source"],
        "received": record["received"],  # a kiosk's ballot sent late: when it arrived
        "device": record["device"],
        "integration": record["integration"],
        "officer": record["officer"],
        "comment": record["comment"],
        "demo": bool(record["demo"]),  # SQLite gives 0 or 1
        "excluded": bool(record["excluded"]),
        "exclusion_reason": record["exclusion_reason"] or "",
        "flags": record["flags"] or "",
        "chain_hash": record["chain_hash"],
    }


# Columns whose values repeat on every row: their cells are made once each.
REPEATED = ("office", "office_name", "channel", "survey", "version", "scale", "source")


def xlsx_stream(conn: Connection, export: Export) -> Iterator[bytes]:
    found = layout(conn, export, "xlsx")
    names = found.names
    columns = xlsx.Columns(
        len(names),
        dict(enumerate(found.widths)),
        kinds=found.kinds,
        repeated={i for i, name in enumerate(names) if name in REPEATED},
    )
    chain = found.at("chain_hash")

    def rows() -> Iterator[Any]:
        for chunk in chunks(conn, export, found):
            export.count([row[chain] for row in chunk])
            yield from chunk

    for data in xlsx.stream("Phiếu", found.header(), rows(), columns):
        yield export.written(data)


FORMATS: dict[str, Callable[[Connection, Export], Iterator[bytes]]] = {
    "csv": csv_stream,
    "jsonl": jsonl_stream,
    "xlsx": xlsx_stream,
}
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
