"""Tamper evidence: every ballot is chained to the one before it in its office's chain.

``chain_hash = SHA-256(prev_hash + canonical content)``, where the content is everything the
ballot says (office code, receipt, counter, survey and version, channel, time, comment, demo
flag and every answer, then, for ballots stored since provenance is recorded, where it came
from: source, device, integration, officer code and dossier hash, and for a kiosk's ballot sent
late from its queue, when it arrived) and ``prev_hash`` is the
previous ballot's ``chain_hash`` in the same office (64 zeros for the first). Each ballot also
stores its position ``chain_seq`` and its ``prev_hash``, and ``office_chain`` keeps each
chain's head. One chain per office, not one for the country: offices append in parallel, and
an office's chain can be checked and exported on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from app.core.bulk import bulk
from app.models import OfficeChain

HEAD = OfficeChain.__table__  # type: ignore[attr-defined]

GENESIS = "0" * 64


def content(office_code: str, row: Mapping[str, Any], answers: Mapping[str, int]) -> bytes:
    moment: datetime = row["submitted_at"]
    fields = [
        office_code,
        row["receipt"],
        row["counter"],
        row["survey_key"],
        row["survey_version"],
        row["channel"],
        _utc(moment),
        row["comment"] or "",
        bool(row["is_demo"]),
        sorted(answers.items()),
    ]
    if row.get("source") is not None:  # version 2: provenance; older ballots verify as stored
        fields += [
            row["source"],
            row.get("device_id"),
            row.get("integration_id"),
            row.get("officer_code"),
            row.get("dossier_hash"),
        ]
    if row.get("received_at") is not None:  # version 3: a kiosk's late ballot, and when it came
        fields.append(_utc(row["received_at"]))
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


Head = tuple[int, str]  # (last position, last hash)


def heads(conn: Connection, office_ids: list[int]) -> dict[int, Head]:
    """The chains' current heads. On PostgreSQL their rows are locked until commit, so two
    writers appending to one office take turns (in office order, so they never deadlock);
    SQLite's writer already holds the database's write lock."""
    if not office_ids:
        return {}
    found = _read_heads(conn, office_ids)
    missing = sorted(set(office_ids) - set(found))
    if missing and conn.dialect.name == "postgresql":
        # A new office has no head row to lock yet: two writers would both start its chain at
        # 1. Create the row first (a concurrent creator makes this wait, then do nothing) and
        # lock it like any other.
        bulk(conn).insert(
            conn,
            HEAD,
            ("office_id", "last_seq", "last_hash"),
            [[office_id, 0, GENESIS] for office_id in missing],
            " ON CONFLICT (office_id) DO NOTHING",
        )
        found.update(_read_heads(conn, missing))
    return {k: v for k, v in found.items() if v != (0, GENESIS)}


def _read_heads(conn: Connection, office_ids: list[int]) -> dict[int, Head]:
    sql = bulk(conn)
    marks = ", ".join([sql.mark] * len(office_ids))
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    rows = sql.fetch(
        conn,
        "SELECT office_id, last_seq, last_hash FROM office_chain "  # noqa: S608 - marks only
        f"WHERE office_id IN ({marks}) ORDER BY office_id{lock}",
        sorted(office_ids),
    )
    return {office_id: (int(seq), last) for office_id, seq, last in rows}


def assign(
    items: list[tuple[int, str, dict[str, Any], Mapping[str, int]]], start: dict[int, Head]
) -> dict[int, Head]:
    """Give each new ballot (office id, office code, row, answers) its place and hashes, in
    order; returns the heads after them."""
    tips = dict(start)
    for office_id, code, row, answers in items:
        seq, prev = tips.get(office_id, (0, GENESIS))
        row["chain_seq"] = seq + 1
        row["prev_hash"] = prev
        row["chain_hash"] = link(prev, content(code, row, answers))
        tips[office_id] = (seq + 1, row["chain_hash"])
    return tips


def save_heads(conn: Connection, tips: dict[int, Head], before: dict[int, Head]) -> None:
    changed = {k: v for k, v in tips.items() if before.get(k) != v}
    if not changed:
        return
    bulk(conn).insert(
        conn,
        HEAD,
        ("office_id", "last_seq", "last_hash"),
        [[office_id, seq, last] for office_id, (seq, last) in sorted(changed.items())],
        " ON CONFLICT (office_id) DO UPDATE SET last_seq = excluded.last_seq,"
        " last_hash = excluded.last_hash",
    )
