"""Re-walking the ballot chains: every edit, deletion or insertion made behind the app's back is
reported by receipt."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from app.ballots.chain import GENESIS, content, link
from app.models import Answer, Ballot, Office, OfficeChain

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
ANSWER = Answer.__table__  # type: ignore[attr-defined]
OFFICE = Office.__table__  # type: ignore[attr-defined]
HEAD = OfficeChain.__table__  # type: ignore[attr-defined]
CHUNK = 2000


@dataclass(frozen=True)
class Finding:
    kind: str  # edited, deleted, inserted or tail
    office: str
    receipt: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.upper():<8} office {self.office} receipt {self.receipt}: {self.detail}"


@dataclass
class Report:
    chains: int = 0
    ballots: int = 0
    findings: list[Finding] | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


def _ballots(conn: Connection, office_id: int) -> Iterator[tuple[Any, dict[str, int]]]:
    """The office's ballots in chain order (unchained ones last), each with its answers."""
    # One sort key serves the order and the page boundary: (unchained?, position, id).
    key = (
        sa.case((BALLOT.c.chain_seq.is_(None), 1), else_=0),
        sa.func.coalesce(BALLOT.c.chain_seq, 0),
        BALLOT.c.id,
    )
    last: tuple[int, int, int] = (-1, -1, -1)
    # The columns the database has: the migrations that chain or check older ballots run
    # before later columns (provenance) exist.
    present = {c["name"] for c in sa.inspect(conn).get_columns("ballot")}
    columns = [c for c in BALLOT.c if c.name in present]
    while True:
        rows = conn.execute(
            sa.select(*columns, key[0].label("k0"), key[1].label("k1"))
            .where(BALLOT.c.office_id == office_id, sa.tuple_(*key) > sa.tuple_(*last))
            .order_by(*key)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        given: dict[int, dict[str, int]] = {row.id: {} for row in rows}
        for ballot_id, question, value in conn.execute(
            sa.select(ANSWER.c.ballot_id, ANSWER.c.question_key, ANSWER.c.value).where(
                ANSWER.c.ballot_id.in_(list(given))
            )
        ):
            given[ballot_id][question] = value
        for row in rows:
            yield row, given[row.id]
        tail = rows[-1]
        last = (tail.k0, tail.k1, tail.id)


def verify_office(conn: Connection, office_id: int, code: str, report: Report) -> None:
    findings = report.findings if report.findings is not None else []
    expected, prev, previous_receipt = 1, GENESIS, "(start of the chain)"
    for row, answers in _ballots(conn, office_id):
        report.ballots += 1
        if row.chain_seq is None or row.chain_hash is None or row.prev_hash is None:
            findings.append(Finding("inserted", code, row.receipt, "not in the office's chain"))
            continue
        if row.chain_seq > expected:
            missing = row.chain_seq - expected
            findings.append(
                Finding(
                    "deleted",
                    code,
                    row.receipt,
                    f"{missing} ballot(s) missing before it (after {previous_receipt})",
                )
            )
        elif row.prev_hash != prev:
            findings.append(
                Finding(
                    "inserted",
                    code,
                    row.receipt,
                    f"does not follow {previous_receipt} in the chain",
                )
            )
        if link(row.prev_hash, content(code, row._mapping, answers)) != row.chain_hash:
            findings.append(
                Finding("edited", code, row.receipt, "its content no longer matches its hash")
            )
        expected, prev, previous_receipt = row.chain_seq + 1, row.chain_hash, row.receipt
    head = conn.execute(
        sa.select(HEAD.c.last_seq, HEAD.c.last_hash).where(HEAD.c.office_id == office_id)
    ).first()
    if head is not None and (head.last_seq, head.last_hash) != (expected - 1, prev):
        findings.append(
            Finding(
                "tail",
                code,
                previous_receipt,
                f"the chain ends at #{expected - 1} but its head says #{head.last_seq}: "
                "ballots after this one were deleted",
            )
        )
    report.findings = findings
    report.chains += 1


def verify_db(conn: Connection, office_code: str | None = None) -> Report:
    query = sa.select(OFFICE.c.id, OFFICE.c.code).order_by(OFFICE.c.code)
    if office_code is not None:
        query = query.where(OFFICE.c.code == office_code)
    report = Report(findings=[])
    for office_id, code in conn.execute(query).all():
        verify_office(conn, office_id, code, report)
    return report


def backfill(conn: Connection) -> int:
    """Chain ballots stored before chains existed (the migration that introduced them)."""
    done = 0
    for office_id, code in conn.execute(sa.select(OFFICE.c.id, OFFICE.c.code)).all():
        seq, prev = 0, GENESIS
        for row, answers in _ballots(conn, office_id):
            seq += 1
            new_hash = link(prev, content(code, row._mapping, answers))
            conn.execute(
                BALLOT.update()
                .where(BALLOT.c.id == row.id)
                .values(chain_seq=seq, prev_hash=prev, chain_hash=new_hash)
            )
            prev = new_hash
            done += 1
        if seq:
            conn.execute(HEAD.insert().values(office_id=office_id, last_seq=seq, last_hash=prev))
    return done
