from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from app.ballots.office_info import OPEN, Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.stats.recount import rebuild
from app.stats.rollups import ALL_TABLES
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, six_answers
from tests.stats.recount import (
    recount,
    recount_compared,
    recount_moments,
    stored,
    stored_compared,
    stored_moments,
)

SOURCES = [OPEN, Provenance("counter", device_id=1), Provenance("kiosk", device_id=2)]


def _submit(db: Session, catalog: SurveyCatalog, code: str, answers: dict, at: datetime) -> None:
    # Ballots of several sources, so the recount checks the source dimension too.
    submit(
        db,
        catalog,
        code,
        Submission(answers=answers),
        channel="api",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=True,
        submitted_at=at,
        provenance=SOURCES[at.minute % 3],
    )


def test_rollups_equal_a_recount(db: Session, registered: SurveyCatalog) -> None:
    rng = random.Random(7)
    plain = make_office(db, registered)
    sipas = make_office(db, registered, survey="sipas")
    three = make_office(db, registered, survey="cong-chuc-3-muc")
    start = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 23:00 in Vietnam, an hour before April
    for i in range(150):
        at = start + timedelta(minutes=rng.randint(0, 60 * 30))
        _submit(db, registered, plain.code, six_answers(rng.choice([2, 3, 4, 5])), at)
        answers = {
            q.key: rng.choice([1, 2, 3, 4, 5])
            for q in registered.surveys["sipas"].questions
            if q.required or rng.random() < 0.3
        }
        _submit(db, registered, sipas.code, answers, at)
        if i % 3 == 0:
            _submit(db, registered, three.code, six_answers(rng.choice([1, 2, 3])), at)
    conn = db.connection()
    fast = stored(conn)
    slow = recount(conn)
    assert fast == slow
    assert sum(n for key, n in fast[1].items() if key[2] == "d") == 150 + 150 + 50
    rebuild(conn)
    assert stored(conn) == slow
    # The per-ballot moments (the interval's input), for each survey and the shared criteria.
    moments = recount_moments(conn, registered.criteria)
    assert stored_moments(conn) == moments
    assert any(key[5] == "cong-chuc" and key[1] == "sipas" for key in moments)
    # The shared criteria by category, across the three surveys asking them.
    compared = recount_compared(conn, registered.criteria)
    assert stored_compared(conn) == compared
    assert {key[1] for key in compared} == {"cong-chuc"}
    assert {key[0] for key in compared} == {plain.id, sipas.id, three.id}
    rebuild(conn, tables=ALL_TABLES, criteria=registered.criteria)
    assert stored_moments(conn) == moments
    assert stored_compared(conn) == compared
    assert stored(conn) == slow


def test_days_are_vietnamese_days(db: Session, registered: SurveyCatalog) -> None:
    office = make_office(db, registered)
    # 23:59 and 00:00 in Vietnam fall on two different days.
    _submit(db, registered, office.code, six_answers(5), datetime(2026, 5, 1, 23, 59, tzinfo=VN_TZ))
    _submit(db, registered, office.code, six_answers(5), datetime(2026, 5, 2, 0, 0, tzinfo=VN_TZ))
    days = {key[3] for key in stored(db.connection())[1] if key[0] == office.id and key[2] == "d"}
    assert days == {date(2026, 5, 1), date(2026, 5, 2)}
