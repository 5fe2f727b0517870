"""Export files on disk (the CLI), and checking a file against its manifest and the database."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from app.core.errors import InvalidInput
from app.exports.ballot_export import BALLOT, Export
from app.exports.formats import FORMATS
from app.integrity.verify import verify_db


def write(conn: Connection, export: Export, fmt: str, path: Path, generated_by: str) -> Path:
    """Write the export and ``FILE.manifest.json`` beside it; returns the manifest's path."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    with path.open("wb") as out:
        for chunk in FORMATS[fmt](conn, export):
            out.write(chunk)
    manifest = path.with_name(path.name + ".manifest.json")
    manifest.write_text(
        json.dumps(export.manifest(path.name, fmt, generated_by), ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return manifest


def _rows(path: Path, fmt: str) -> list[tuple[str, str]]:
    """(receipt, chain hash) of every row in the file."""
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as lines:
            return [(r["receipt"], r["chain_hash"]) for r in map(json.loads, lines) if r]
    if fmt == "xlsx":
        header, *rows = read_rows(path)
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header, *rows = [tuple(row) for row in csv.reader(handle)]
    at, chain_at = header.index("Mã phiếu"), header.index("Mã băm chuỗi")
    return [(str(row[at]), str(row[chain_at])) for row in rows]


def verify_file(conn: Connection, path: Path) -> list[str]:
    """Problems found: the file against its manifest, and both against the database."""
    manifest_path = path.with_name(path.name + ".manifest.json")
    if not manifest_path.exists():
        return [f"{manifest_path.name}: manifest not found"]
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != manifest["sha256"]:
        problems.append(f"{path.name}: SHA-256 {digest} differs from the manifest's")
    rows = _rows(path, manifest["format"])
    if len(rows) != manifest["rows"]:
        problems.append(f"{path.name}: {len(rows)} rows, the manifest says {manifest['rows']}")
    if rows and (rows[0][1], rows[-1][1]) != (
        manifest["first_chain_hash"],
        manifest["last_chain_hash"],
    ):
        problems.append(f"{path.name}: first or last chain hash differs from the manifest's")
    stored: dict[str, str | None] = {}
    receipts = [receipt for receipt, _ in rows]
    for start in range(0, len(receipts), 1000):
        chunk = receipts[start : start + 1000]
        stored.update(
            conn.execute(
                sa.select(BALLOT.c.receipt, BALLOT.c.chain_hash).where(BALLOT.c.receipt.in_(chunk))
            ).all()
        )
    for receipt, chain_hash in rows:
        if receipt not in stored:
            problems.append(f"receipt {receipt}: in the file, no longer in the database")
        elif stored[receipt] != chain_hash:
            problems.append(f"receipt {receipt}: its chain hash differs from the database's")
    for code in manifest["filters"]["offices"]:
        problems += [str(f) for f in verify_db(conn, code).findings or []]
    return problems


def read_rows(path: Path) -> list[tuple[Any, ...]]:
    """A workbook's header, then every row after the header of every sheet, as values."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    header = next(book.worksheets[0].iter_rows(max_row=1, values_only=True))
    rows = [
        row for sheet in book.worksheets for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    book.close()
    return [header, *rows]
