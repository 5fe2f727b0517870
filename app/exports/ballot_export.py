"""Raw ballot exports: which ballots a file holds (``Export``, built by ``prepare``), up to which
stored ballot (``snapshot``, so the same file can be produced again for its manifest), and the
manifest itself: the filters, the row count, the first and last chain hashes and the file's
SHA-256."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session

from app.auth.scope import can_inspect, require_office, visible
from app.core.bulk import any_of
from app.core.errors import DomainError, InvalidInput
from app.models import Ballot, BallotRollup, Exclusion, Office, User
from app.models.account import judges_unit
from app.models.types import utcnow
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats.periods import Period
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import Question, SurveyDefinition
from app.surveys.service import survey_for_office, survey_version

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
ROLLUP = BallotRollup.__table__  # type: ignore[attr-defined]
EXCLUSION = Exclusion.__table__  # type: ignore[attr-defined]


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
    # Each survey version the file's ballots use, for their survey's title and scale.
    versions: dict[tuple[str, int], SurveyDefinition] = field(default_factory=dict)
    # Whether the officer a rating names is filled in: for inspectors, admins and the unit's
    # head only, as on the pages (the column is there for everyone, empty otherwise).
    officers: bool = False
    # Whether the detectors' flags are filled in: for inspectors and admins only (the column is
    # there for everyone, empty otherwise).
    flags: bool = False
    rows: int = 0
    first_hash: str | None = None
    last_hash: str | None = None
    # The file's SHA-256, for the manifest; None where no manifest is made (a download: its
    # manifest is a request of its own), sparing 63 MB of hashing per 300,000 rows.
    digest: Any = field(default_factory=hashlib.sha256)

    def __post_init__(self) -> None:
        self.surveys = self.surveys or (self.survey.key,)
        self.questions = self.questions or list(self.survey.questions)
        self.versions = self.versions or {(self.survey.key, self.survey.version): self.survey}

    def count(self, hashes: Sequence[str | None]) -> None:
        """Count a chunk of rows, by their chain hashes, into what the manifest will say (every
        format calls this)."""
        if hashes:
            self.rows += len(hashes)
            self.first_hash = self.first_hash or next((h for h in hashes if h), None)
            self.last_hash = hashes[-1]

    def written(self, data: bytes) -> bytes:
        """``data`` as the file holds it next, taken into its digest."""
        if self.digest is not None:
            self.digest.update(data)
        return data

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
    export = Export(offices, survey, period, snapshot=snapshot, officers=officers, flags=flags)
    used = _versions_used(session.connection(), ids, period, snapshot or 2**62)
    for key, version in sorted(used):
        found = survey_version(session, catalog, key, version)
        if found is not None and (survey_key is None or key == survey_key):
            export.versions[key, version] = found
    if survey_key:
        return export
    questions = list(survey.questions)
    seen = {q.key for q in questions}
    for other in export.versions.values():
        for question in other.questions:
            if question.key not in seen:
                seen.add(question.key)
                questions.append(question)
    others = {key for key, _ in export.versions} - {survey.key}
    export.surveys = (survey.key, *sorted(others))
    export.questions = questions
    return export


def _versions_used(
    conn: Connection, ids: list[int], period: Period, snapshot: int
) -> set[tuple[str, int]]:
    """The survey versions of the ballots of ``ids`` in ``period`` up to ``snapshot``: the
    manifest, computed later, must find the same ones (the file's columns). Candidates come
    from the years' ballot counts, and from the excluded ballots, which the counts leave out;
    each is then looked for among the ballots (reading every ballot of the export for them
    took a fifth of a 300,000-row CSV's time)."""
    first, last = period.start.replace(month=1, day=1), period.end.replace(month=1, day=1)
    counted = sa.select(ROLLUP.c.survey_key, ROLLUP.c.survey_version).where(
        any_of(conn, ROLLUP.c.office_id, ids),
        ROLLUP.c.grain == "y",
        ROLLUP.c.start >= first,
        ROLLUP.c.start <= last,
    )
    excluded = (
        sa.select(BALLOT.c.survey_key, BALLOT.c.survey_version)
        .select_from(EXCLUSION.join(BALLOT, BALLOT.c.id == EXCLUSION.c.ballot_id))
        .where(any_of(conn, BALLOT.c.office_id, ids))
    )
    candidates = {(key, version) for key, version in conn.execute(sa.union(counted, excluded))}
    start, end = period.bounds_utc()
    within = [
        any_of(conn, BALLOT.c.office_id, ids),
        BALLOT.c.submitted_at >= start,
        BALLOT.c.submitted_at < end,
        BALLOT.c.id <= snapshot,
    ]
    return {
        (key, version)
        for key, version in candidates
        if conn.execute(
            sa.select(BALLOT.c.id)
            .where(*within, BALLOT.c.survey_key == key, BALLOT.c.survey_version == version)
            .limit(1)
        ).first()
    }


def for_user(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    office_code: str,
    period: Period,
    survey_key: str | None,
    snapshot: int | None,
) -> tuple[Export, Office]:
    """The export a staff member may download: the sub-tree they may see, up to the ballot
    ``snapshot`` (default: the newest committed when asked, see ``settled``); officers and
    flags filled in only for those who may see them on the pages."""
    office = get_by_code(session, office_code)
    require_office(session, user, office)
    newest = settled(session.connection())
    export = prepare(
        session,
        catalog,
        office_code,
        period,
        survey_key,
        visible(load_tree(session), user),
        snapshot=newest if snapshot is None else min(snapshot, newest),
        officers=judges_unit(user),
        flags=can_inspect(user),
    )
    return export, office


class WritesPending(DomainError):
    """Ballots being stored since before this export began have not finished: the file could
    not stop at a snapshot its manifest finds again. Try again shortly."""

    status_code = 503
    code = "writes_pending"
    message_vi = (
        "Một số phiếu gửi trước khi xuất tệp vẫn đang được lưu, nên chưa xuất được tệp khớp với "
        "bản kê kiểm chứng. Xin thử lại sau ít giây."
    )
    headers = {"Retry-After": "5"}  # noqa: RUF012 - read only


def settled(conn: Connection) -> int:
    """The ballot id an export stops at: the newest one committed when it is asked for, so every
    ballot acknowledged before the request is in the file; and a file produced again up to it,
    for its manifest, is identical.

    SQLite commits ballots in id order, so every id up to the newest visible one is final. On
    PostgreSQL two writers can commit out of order: a ballot numbered below the newest visible
    one may still be in flight, in a transaction that took its id before that one committed. So
    the transactions writing ballots at that moment are waited for (for ``PENDING_SECONDS``,
    polled, blocking no writer): once they end, every id up to the snapshot is final, committed
    or never, and the file, read after, holds exactly those."""
    snapshot = newest_ballot(conn)
    if conn.dialect.name == "postgresql":
        _wait_for_writers(conn)
    return snapshot


def newest_ballot(conn: Connection) -> int:
    """The newest ballot id committed (0 for none): a page's download links stop there, and the
    download itself waits for what was in flight (``settled``)."""
    newest = sa.select(sa.func.coalesce(sa.func.max(BALLOT.c.id), 0))
    return int(conn.execute(newest).scalar_one())


# Transactions holding a write lock on the ballot table (every INSERT takes one), but this one.
_WRITERS = sa.text(
    "SELECT DISTINCT virtualtransaction FROM pg_locks WHERE locktype = 'relation' "
    "AND relation = 'ballot'::regclass AND mode = 'RowExclusiveLock' "
    "AND pid <> pg_backend_pid()"
)
_STILL = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' "
    "AND relation = 'ballot'::regclass AND virtualtransaction = ANY(:writers)"
)
PENDING_SECONDS = 30.0


def _wait_for_writers(conn: Connection) -> None:
    """Until the transactions writing ballots now have ended (their virtual transaction ids
    are never reused while they last). The group-commit writer's end in milliseconds."""
    writers = list(conn.execute(_WRITERS).scalars())
    deadline = time.monotonic() + PENDING_SECONDS
    pause = 0.002
    while writers and conn.execute(_STILL, {"writers": writers}).scalar_one():
        if time.monotonic() > deadline:
            raise WritesPending()
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
