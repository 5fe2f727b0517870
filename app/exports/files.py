"""Export files on disk (the CLI) and checking a file against its manifest and the database."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session

from app.core.bulk import any_of
from app.core.errors import InvalidInput
from app.exports.service import BALLOT, Export, csv_stream, jsonl_stream
from app.exports.xlsx import read_rows, xlsx_stream
from app.integrity.verify import verify_db
from app.models.types import utcnow
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats.periods import Period
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import survey_for_office, survey_version

FORMATS = {"csv": csv_stream, "jsonl": jsonl_stream, "xlsx": xlsx_stream}


def prepare(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    period: Period,
    survey_key: str | None = None,
    visible: set[int] | None = None,
    *,
    snapshot: int | None = None,
    officers: bool = False,
    flags: bool = False,
) -> Export:
    """What to export: ``survey_key`` alone, or by default every survey the sub-tree's ballots
    of the period use (one column per question of any of them)."""
    office = get_by_code(session, office_code)
    survey = catalog.get(survey_key) if survey_key else survey_for_office(session, catalog, office)
    if survey is None:
        raise InvalidInput(f"survey {survey_key!r}: no such survey")
    tree = load_tree(session)
    ids = [i for i in tree.subtree(office.id or 0) if visible is None or i in visible]
    offices = {i: (tree.offices[i][0], tree.offices[i][1]) for i in ids}
    if survey_key:
        return Export(
            offices=offices,
            survey=survey,
            period=period,
            snapshot=snapshot,
            officers=officers,
            flags=flags,
        )
    start, end = period.bounds_utc()
    # Up to the snapshot: the manifest, computed later, must find the same surveys (columns).
    used = session.connection().execute(
        sa.select(BALLOT.c.survey_key, BALLOT.c.survey_version)
        .where(any_of(session, BALLOT.c.office_id, ids), BALLOT.c.id <= (snapshot or 2**62))
        .where(BALLOT.c.submitted_at >= start, BALLOT.c.submitted_at < end)
        .distinct()
    )
    versions = sorted({(key, version) for key, version in used} - {(survey.key, survey.version)})
    questions = list(survey.questions)
    seen = {q.key for q in questions}
    for key, version in versions:
        other = survey_version(session, catalog, key, version)
        for question in other.questions if other is not None else []:
            if question.key not in seen:
                seen.add(question.key)
                questions.append(question)
    keys = (survey.key, *sorted({key for key, _ in versions} - {survey.key}))
    return Export(
        offices=offices,
        survey=survey,
        period=period,
        snapshot=snapshot,
        surveys=keys,
        questions=questions,
        officers=officers,
        flags=flags,
    )


SETTLE = timedelta(seconds=5)


def snapshot(conn: Connection) -> int:
    """The ballot id an export stops at, so that the file can be produced again, identical, for
    its manifest. SQLite commits ballots in id order, so the newest id will do. On PostgreSQL
    two writers can commit out of order: a ballot numbered below the newest visible one may
    still be in flight, and would appear in the manifest's second pass but not in the file.
    There the snapshot is the newest ballot stored at least ``SETTLE`` ago (a writer commits in
    milliseconds), so every id up to it is settled."""
    if conn.dialect.name != "postgresql":
        newest = sa.select(sa.func.coalesce(sa.func.max(BALLOT.c.id), 0))
        return int(conn.execute(newest).scalar_one())
    settled = (
        sa.select(BALLOT.c.id)
        .where(BALLOT.c.submitted_at <= utcnow() - SETTLE)
        .order_by(BALLOT.c.id.desc())
        .limit(1)
    )
    return int(conn.execute(settled).scalar() or 0)


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
        return [(str(row[7]), str(row[-1])) for row in read_rows(path)]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        at, chain_at = header.index("Mã phiếu"), header.index("Mã băm chuỗi")
        return [(row[at], row[chain_at]) for row in reader]


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
