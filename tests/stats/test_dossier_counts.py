"""Dossiers are counted per office and bucket as they are reported and rated: a sub-tree's
dossier figures read from its root's rows equal a recount of the raw dossiers, on both
databases, through re-reports that move a dossier's days, ratings before and after the dossier
is reported, exclusions, an office moved to another parent, and a rebuild."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from app.ballots.office_info import Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.config import get_settings
from app.core.locale import VN_TZ
from app.integrity.exclusions import decide
from app.models import Ballot, Office
from app.offices.service import update_office
from app.sources.dossiers import DossierIn, register
from app.sources.links import Keys
from app.stats import dossier_rollup
from app.stats.periods import date_range, period_of, today
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_tree, make_user, six_answers
from tests.stats.recount import stored_dossiers

PERIODS = [
    period_of("month", date(2026, 5, 1)),
    period_of("day", date(2026, 5, 6)),
    date_range(date(2026, 4, 27), date(2026, 5, 9)),
    period_of("year", date(2026, 1, 1)),
]


def _keys() -> Keys:
    return Keys.from_secret(get_settings().secret_key)


def _report(db: Session, office: Office, code: str, **times: datetime | None) -> None:
    register(db, _keys(), "http://x", None, office.code, code, DossierIn(**times))


def _rate(db: Session, catalog: SurveyCatalog, office: Office, code: str, value: int) -> None:
    levels = [1, 2, 3] if office.survey_key == "cong-chuc-3-muc" else [1, 2, 3, 4, 5]
    submit(
        db,
        catalog,
        office.code,
        Submission(answers=six_answers(levels[value % len(levels)])),
        channel="web",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=False,
        submitted_at=datetime(2026, 5, 10, 10, tzinfo=VN_TZ),
        provenance=Provenance("dossier", dossier_hash=_keys().dossier_hash(office.id or 0, code)),
    )


def _activity(db: Session, catalog: SurveyCatalog, offices: dict[str, Office], n: int) -> None:
    """Dossiers as one-stop software reports them: received, then returned (some late, some
    near midnight in Vietnam), some re-reported with other days; most rated, some before the
    dossier itself was reported (a counter screen's rating of the dossier being served)."""
    rng = random.Random(7)
    units = [offices[k] for k in ("a", "b", "b1", "c", "north")]
    for i in range(n):
        office, code = rng.choice(units), f"HS-{i:04d}"
        received = datetime(2026, 4, 25, 7, tzinfo=VN_TZ) + timedelta(minutes=rng.randint(0, 20000))
        due = received + timedelta(days=rng.choice((1, 3, 5)))
        returned = received + timedelta(days=rng.choice((0, 2, 4, 6)), hours=rng.randint(1, 16))
        roll = rng.random()
        if roll < 0.15:
            _rate(db, catalog, office, code, i)
        _report(db, office, code, received_at=received, due_at=due)
        if roll < 0.9:
            _report(db, office, code, returned_at=returned)
        if 0.15 <= roll < 0.7:
            _rate(db, catalog, office, code, i)
        if rng.random() < 0.2:  # reported again: returned another day, due moved
            _report(db, office, code, returned_at=returned + timedelta(days=1, hours=3))
            _report(db, office, code, due_at=due + timedelta(days=2))


def _check(db: Session, offices: dict[str, Office]) -> None:
    conn = db.connection()
    ids = [o.id or 0 for o in offices.values()]
    for period in PERIODS:
        together = dossier_rollup.read(conn, ids, period)
        assert together == dossier_rollup.from_raw(conn, ids, period)
        for office_id in ids:
            alone = dossier_rollup.read(conn, [office_id], period)
            assert alone == dossier_rollup.from_raw(conn, [office_id], period)
            assert alone.get(office_id, {}) == together.get(office_id, {})
        # Summed over ratings in the database, as the rankings read them.
        pleased = {("cong-chuc", 1, 4), ("cong-chuc", 1, 5)}
        summed = dossier_rollup.totals_later(conn, ids, period, pleased)()
        assert (
            dossier_rollup.totals_later(conn, ids, period, pleased, [offices["nation"].id or 0])()
            == summed
        )
        for office_id, ratings in dossier_rollup.from_raw(conn, ids, period).items():
            rated = [r for r in ratings if r != dossier_rollup.UNRATED]
            assert summed[office_id] == [
                sum(n[0] for n in ratings.values()),
                sum(n[1] for n in ratings.values()),
                sum(n[2] for n in ratings.values()),
                sum(ratings[r][1] for r in rated),
                sum(ratings[r][1] for r in rated if r not in pleased),
            ]


def test_dossier_counts_equal_a_recount(db: Session, registered: SurveyCatalog) -> None:
    offices = make_tree(db, registered)
    _activity(db, registered, offices, 120)
    _check(db, offices)
    conn = db.connection()
    nation = dossier_rollup.read(conn, [offices["nation"].id or 0], PERIODS[3])[
        offices["nation"].id
    ]
    registered_n, returned, late = (sum(r[i] for r in nation.values()) for i in range(3))
    assert registered_n == 120
    assert 90 < returned < 120
    assert 0 < late < returned
    assert len([k for k in nation if k != dossier_rollup.UNRATED]) > 3  # ratings of several levels
    assert {k[0] for k in nation} == {"", "cong-chuc", "cong-chuc-3-muc"}

    # An excluded rating still tells that the dossier was rated, as before the counts.
    inspector = make_user(db, "inspector")
    for ballot in db.exec(select(Ballot).order_by(Ballot.id)).all()[::5]:  # type: ignore[arg-type]
        decide(db, registered, inspector, ballot.receipt, "phiếu thử nghiệm", exclude=True)
    _check(db, offices)

    # A unit moved to the other province takes its sub-tree's dossiers along.
    update_office(db, offices["b"].code, registered, parent=offices["south"].code)
    _check(db, offices)

    # Recounted from scratch: the same rows as those kept along the way.
    kept = stored_dossiers(conn)
    assert dossier_rollup.recount(conn, chunk=7) == 120
    assert stored_dossiers(conn) == kept


def test_a_dossier_reported_without_times_counts_nowhere(
    db: Session, registered: SurveyCatalog
) -> None:
    offices = make_tree(db, registered)
    _report(db, offices["a"], "HS-EMPTY")
    _rate(db, registered, offices["a"], "HS-EMPTY", 4)
    assert stored_dossiers(db.connection()) == {}
    returned = datetime(2026, 5, 6, 23, 30, tzinfo=VN_TZ)  # 16:30 UTC: 6 May in Vietnam
    _report(db, offices["a"], "HS-EMPTY", returned_at=returned)
    day = dossier_rollup.read(db.connection(), [offices["north"].id or 0], PERIODS[1])
    [(rating, counts)] = day[offices["north"].id or 0].items()
    assert rating[0] == "cong-chuc"
    assert counts == [0, 1, 0]
    _check(db, offices)


def test_times_ahead_of_the_server_are_not_read_into_the_period_to_date(
    db: Session, registered: SurveyCatalog
) -> None:
    """A period reaching today is read to the end of its year; dossiers the one-stop software
    dates after the period (its clock ahead, or a date typed wrong) are taken out again."""
    offices = make_tree(db, registered)
    now = today()
    at = datetime(now.year, now.month, now.day, 10, tzinfo=VN_TZ)
    for n, ahead in enumerate((0, 1, 40, 400)):
        _report(
            db,
            offices["a"],
            f"HS-AHEAD-{n}",
            received_at=at - timedelta(days=2),
            returned_at=at + timedelta(days=ahead),
        )
    conn = db.connection()
    root = offices["nation"].id or 0
    periods = [
        date_range(now.replace(day=1), now),
        date_range(now.replace(month=1, day=1), now),
        period_of("month", now),
        period_of("year", now),
    ]
    for period in periods:
        assert dossier_rollup.read(conn, [root], period) == dossier_rollup.from_raw(
            conn, [root], period
        )
        # Told the top office, the rankings' sums look after the period only when it has rows
        # there: the same sums either way.
        ids = [offices[k].id or 0 for k in ("nation", "a", "b")]
        assert (
            dossier_rollup.totals_later(conn, ids, period, [], [root])()
            == dossier_rollup.totals_later(conn, ids, period, [])()
        )
    to_date = dossier_rollup.read(conn, [root], periods[0])[root]
    assert sum(r[1] for r in to_date.values()) == 1  # returned today; tomorrow's not yet
