"""Taking in ballots: prepare one from what was sent, store a batch of them at once.

Storing is split from preparing so the same SQL serves a single ballot in a request's or a
command's session and a batch in the group-commit writer (``writer.py``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table
from sqlmodel import Session

from app.ballots import chain
from app.ballots.office_info import OPEN, OfficeInfo, Provenance, load_office_info
from app.ballots.validation import CleanBallot, Submission, validate
from app.cases.opening import Opening, open_for_ballots, opens_case
from app.core.bulk import bulk
from app.core.db import begin_write
from app.core.errors import Conflict, DomainError
from app.core.receipts import new_receipts
from app.models import Answer, Ballot, BallotPublic
from app.models.types import utcnow
from app.signals.record import Observed, Taken
from app.signals.record import record as record_signals
from app.stats import dossier_rollup, rollups
from app.stats.dossier_rollup import dossier_key
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import SurveyDefinition
from app.transparency import sequencer

IDEMPOTENCY_KEY_MAX = 128

BALLOT: Table = Ballot.__table__  # type: ignore[attr-defined]
ANSWER: Table = Answer.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PreparedBallot:
    office: OfficeInfo
    row: dict[str, Any]
    answers: dict[str, int]
    level: int  # the whole ballot's level under the survey's ballot rule
    strict_replay: bool
    satisfaction: tuple[tuple[str, int, int], ...] = ()
    compared: rollups.Compared | None = None
    observed: Observed | None = None  # what the request showed (signals), if it came by HTTP
    opens_case: bool = False  # not satisfied somewhere: a case opens with it


@dataclass(frozen=True)
class Stored:
    ballot: BallotPublic
    replayed: bool


Outcome = Stored | DomainError


def _fingerprint(survey: SurveyDefinition, ballot: CleanBallot) -> str:
    blob = json.dumps(
        [survey.ref, sorted(ballot.answers.items()), ballot.comment, ballot.counter],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def prepare(
    office: OfficeInfo,
    submission: Submission,
    *,
    channel: str,
    idempotency_key: str,
    strict_replay: bool,
    submitted_at: datetime | None = None,
    is_demo: bool = False,
    key_covers_answers: bool = False,
    provenance: Provenance = OPEN,
    observed: Observed | None = None,
    received_at: datetime | None = None,
) -> PreparedBallot:
    """Validate (raising ``InvalidBallot`` with every problem) and build the rows to store.

    With ``strict_replay`` (the API) reusing a key for different answers is a conflict. The web
    form uses ``key_covers_answers``: the same answers under the same key replay the first
    receipt, different answers are a new ballot. A ballot bound to a dossier takes its key
    from the dossier: whatever is sent again, the first rating stands.
    """
    clean = validate(office.survey, submission, office.counters)
    fingerprint = _fingerprint(office.survey, clean)
    if provenance.dossier_hash is not None:
        idempotency_key, strict_replay = dossier_key(provenance.dossier_hash), False
    elif key_covers_answers:
        # The web form: one key per visit *and* answers. A double tap, a retry or Back and
        # Submit again send the same answers and replay the receipt; someone else handed the
        # same phone who answers differently gets a ballot of their own, never the first
        # person's receipt with their answers dropped.
        idempotency_key = f"{idempotency_key[:64]}:{fingerprint[:24]}"
    derived = rollups.derive(office.survey, clean.answers, office.criteria)
    row = {
        "office_id": office.id,
        "counter": clean.counter,
        "survey_key": office.survey.key,
        "survey_version": office.survey.version,
        "channel": channel,
        "idempotency_key": idempotency_key,
        "request_hash": fingerprint,
        "comment": clean.comment,
        "submitted_at": submitted_at or utcnow(),
        "is_demo": is_demo,
        "source": provenance.source,
        "device_id": provenance.device_id,
        "integration_id": provenance.integration_id,
        "officer_code": provenance.officer_code,
        "dossier_hash": provenance.dossier_hash,
        "level": derived.level,
        "received_at": received_at,
    }
    return PreparedBallot(
        office=office,
        row=row,
        answers=clean.answers,
        level=derived.level,
        strict_replay=strict_replay,
        satisfaction=derived.satisfaction,
        compared=derived.compared,
        observed=observed,
        opens_case=opens_case(office.survey, clean.answers),
    )


BALLOT_COLUMNS = (
    "receipt",
    "office_id",
    "counter",
    "survey_key",
    "survey_version",
    "channel",
    "idempotency_key",
    "request_hash",
    "comment",
    "submitted_at",
    "is_demo",
    "chain_seq",
    "prev_hash",
    "chain_hash",
    "source",
    "device_id",
    "integration_id",
    "officer_code",
    "dossier_hash",
    "level",
    "received_at",
)
ANSWER_COLUMNS = ("ballot_id", "question_key", "value")
STORED_COLUMNS = (
    "receipt",
    "request_hash",
    "survey_key",
    "survey_version",
    "counter",
    "submitted_at",
)
BALLOT_CONFLICT = " ON CONFLICT (office_id, idempotency_key) DO NOTHING RETURNING id, receipt"


def _stored(conn: Connection, item: PreparedBallot) -> dict[str, Any] | None:
    sql = bulk(conn)
    rows = sql.fetch(
        conn,
        f"SELECT {', '.join(STORED_COLUMNS)} FROM ballot "  # noqa: S608 - constant names only
        f"WHERE office_id = {sql.mark} AND idempotency_key = {sql.mark}",
        (item.office.id, item.row["idempotency_key"]),
    )
    if not rows:
        return None
    record = dict(zip(STORED_COLUMNS, rows[0], strict=True))
    read_time = BALLOT.c.submitted_at.type._cached_result_processor(conn.dialect, None)
    if read_time is not None:
        record["submitted_at"] = read_time(record["submitted_at"])
    return record


def _replay(item: PreparedBallot, row: dict[str, Any]) -> Outcome:
    if item.strict_replay and row["request_hash"] != item.row["request_hash"]:
        return Conflict(
            "Idempotency-Key was already used for a different ballot",
            message_vi="Mã gửi phiếu đã được dùng cho một phiếu khác.",
        )
    return Stored(BallotPublic.of(row, item.office.code), replayed=True)


def store_ballots(conn: Connection, batch: list[PreparedBallot]) -> list[Outcome]:
    """Insert a batch in the caller's transaction; one outcome per ballot, in order.

    A ballot whose idempotency key is already stored, or taken earlier in the same batch, is not
    inserted: it gets that ballot's receipt back, or a conflict if its answers differ. New
    ballots are appended to their office's hash chain. A repeated receipt (about one chance in
    10^14) fails the INSERT; the caller retries (the group-commit writer does so ballot by
    ballot, with new receipts).
    """
    # On PostgreSQL in one pipeline from the transaction's first statement: the statements that
    # only write are sent without waiting, and answered with the next one that must wait (the
    # heads, the ballots' ids, the ancestors the rollups count in, the cases' ids, the dossiers a
    # batch of links rates). Each round trip is also a wait for the interpreter lock, which the
    # busy event loop holds when the answer comes.
    with bulk(conn).overlapped(conn):
        return _store(conn, batch)


def _store(conn: Connection, batch: list[PreparedBallot]) -> list[Outcome]:
    sql = bulk(conn)
    first: dict[tuple[int, str], int] = {}
    for i, item in enumerate(batch):
        first.setdefault((item.office.id, item.row["idempotency_key"]), i)
    receipts = new_receipts(len(first))
    rows = {
        i: {**batch[i].row, "receipt": receipt}
        for i, receipt in zip(first.values(), receipts, strict=True)
    }
    before = chain.heads(conn, sorted({batch[i].office.id for i in rows}))
    # In a savepoint, after the heads' locks (which a rollback to it would let go): a key
    # stored meanwhile leaves a hole in the positions just handed out, so the batch is taken
    # back and chained again without it. Set in SQL, not by SQLAlchemy, which would wait for
    # each answer: the savepoint goes out with the insert, its release with what follows.
    sql.run(conn, "SAVEPOINT ballots", ())
    for _attempt in range(3):
        tips = chain.assign(
            [
                (batch[i].office.id, batch[i].office.code, row, batch[i].answers)
                for i, row in rows.items()
            ],
            before,
        )
        returned = sql.insert(
            conn,
            BALLOT,
            BALLOT_COLUMNS,
            [sql.row(BALLOT, BALLOT_COLUMNS, row) for row in rows.values()],
            BALLOT_CONFLICT,
        )
        ids = {receipt: ballot_id for ballot_id, receipt in returned}
        if len(ids) == len(rows):
            sql.run(conn, "RELEASE SAVEPOINT ballots", ())
            break
        sql.run(conn, "ROLLBACK TO SAVEPOINT ballots", ())
        rows = {i: row for i, row in rows.items() if row["receipt"] in ids}
    else:  # pragma: no cover - keys stored concurrently three times over
        raise RuntimeError("could not chain the batch")
    outcomes: list[Outcome] = []
    answers: list[list[Any]] = []
    counted: list[rollups.Counted] = []
    bound: list[tuple[int, str, dossier_rollup.Rating]] = []
    taken: list[Taken] = []
    openings: list[Opening] = []
    new_ids: list[int] = []  # in the batch's order: the order they wait for the log in
    for i, item in enumerate(batch):
        j = first[(item.office.id, item.row["idempotency_key"])]
        ballot_id = ids.get(rows[j]["receipt"]) if j in rows else None
        if ballot_id is None:  # stored before this batch: a retry of an acknowledged ballot
            stored = _stored(conn, item)
            if stored is None:
                raise RuntimeError("a ballot was neither inserted nor found")
            outcomes.append(_replay(item, stored))
        elif i != j:  # a repeat of a ballot earlier in this batch
            outcomes.append(_replay(item, rows[j]))
        else:
            new_ids.append(ballot_id)
            answers += [[ballot_id, k, v] for k, v in item.answers.items()]
            counted.append(
                rollups.Counted(
                    office_id=item.office.id,
                    survey_key=item.row["survey_key"],
                    survey_version=item.row["survey_version"],
                    submitted_at=item.row["submitted_at"],
                    level=item.level,
                    answers=item.answers,
                    satisfaction=item.satisfaction,
                    compared=item.compared,
                    source=item.row["source"],
                )
            )
            outcomes.append(Stored(BallotPublic.of(rows[j], item.office.code), replayed=False))
            key, row = item.row["idempotency_key"], item.row
            if key.startswith(dossier_rollup.BOUND):
                rating = (row["survey_key"], row["survey_version"], item.level)
                bound.append((item.office.id, key.removeprefix(dossier_rollup.BOUND), rating))
            if item.observed is not None:
                taken.append(_taken(ballot_id, item, item.observed))
            if item.opens_case:
                openings.append(_opening(ballot_id, item, rows[j]["receipt"]))
    chain.save_heads(conn, tips, before)
    if answers:
        sql.insert(conn, ANSWER, ANSWER_COLUMNS, answers)
    sequencer.wait(conn, ballot_ids=new_ids)
    paths = rollups.add(conn, counted)
    record_signals(conn, taken)
    open_for_ballots(conn, openings)
    dossier_rollup.rated(conn, bound, paths)  # after the rollups, as ever: locks in one order
    return outcomes


def _opening(ballot_id: int, item: PreparedBallot, receipt: str) -> Opening:
    return Opening(
        office_id=item.office.id,
        office_code=item.office.code,
        office_name=item.office.name,
        path=item.office.path,
        ballot_id=ballot_id,
        receipt=receipt,
        comment=item.row["comment"],
        at=item.row["submitted_at"],
        days=item.office.case_days,
    )


def _taken(ballot_id: int, item: PreparedBallot, observed: Observed) -> Taken:
    return Taken(
        ballot_id=ballot_id,
        office_id=item.office.id,
        at=item.row["submitted_at"],
        source=item.row["source"],
        channel=item.row["channel"],
        answers=item.answers,
        level=item.level,
        hours=item.office.hours,
        staff=item.office.staff,
        observed=observed,
    )


def submit(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    submission: Submission,
    *,
    channel: str,
    idempotency_key: str,
    strict_replay: bool,
    submitted_at: datetime | None = None,
    is_demo: bool = False,
    provenance: Provenance = OPEN,
    observed: Observed | None = None,
) -> tuple[BallotPublic, bool]:
    """Store one ballot in ``session``'s transaction (the CLI, demo data, tests)."""
    begin_write(session)
    prepared = prepare(
        load_office_info(session, catalog, office_code),
        submission,
        channel=channel,
        idempotency_key=idempotency_key,
        strict_replay=strict_replay,
        submitted_at=submitted_at,
        is_demo=is_demo,
        provenance=provenance,
        observed=observed,
    )
    [outcome] = store_ballots(session.connection(), [prepared])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome.ballot, outcome.replayed
