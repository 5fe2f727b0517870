"""Each windowed rule on a crafted case (flagged) and an honest one (not flagged); the scan
over real ballots on both databases; flags only added, never a ballot changed."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.core.locale import VN_TZ
from app.models import BallotFlag
from app.signals import detectors, rules
from app.signals.detectors import Seen
from app.signals.scan import scan
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, rate

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)


def seen(n: int, *, minutes: float = 3, start: datetime = MONDAY_9, **fields: object) -> list[Seen]:
    base = {
        "office_id": 1,
        "source": "open",
        "address": "a1",
        "device": None,
        "pattern": "p5",
        "level": 5,
    } | fields
    return [
        Seen(ballot_id=i, at=start + timedelta(minutes=minutes * i), **base)  # type: ignore[arg-type]
        for i in range(n)
    ]


def honest(n: int, rng: random.Random, *, hours: float = 8) -> list[Seen]:
    """Distinct phones behind one guest Wi-Fi, varied answers, spread over a working day."""
    rows = []
    for i in range(n):
        level = rng.choices([5, 4, 3], [0.5, 0.4, 0.1])[0]
        rows.append(
            Seen(
                ballot_id=i,
                office_id=1,
                at=MONDAY_9 + timedelta(hours=rng.uniform(0, hours)),
                source="open",
                address="guest-wifi",
                device=uuid.uuid4().hex,
                pattern=f"p{level}{rng.randrange(4) if level < 5 else ''}",
                level=level,
            )
        )
    return rows


def usual(value: float) -> detectors.Share:
    return lambda office, key: value


def test_same_device_flags_a_phone_rating_many_times_but_not_a_shared_one() -> None:
    flags = detectors.same_device(seen(5, device="phone"))
    assert {f[0] for f in flags} == set(range(5))
    assert flags[0][2]["ratings"] == 5
    assert detectors.same_device(seen(rules.SAME_DEVICE_PER_DAY, device="phone")) == []
    # The same phone on two days is two days.
    two_days = seen(3, device="p") + seen(3, device="p", start=MONDAY_9 + timedelta(days=1))
    assert detectors.same_device([replace_id(s, i) for i, s in enumerate(two_days)]) == []


def replace_id(row: Seen, ballot_id: int) -> Seen:
    from dataclasses import replace

    return replace(row, ballot_id=ballot_id)


def test_same_address_flags_alike_ballots_not_a_busy_guest_wifi() -> None:
    rng = random.Random(1)
    assert detectors.same_address(honest(60, rng), usual(0.5)) == []
    stuffed = seen(20, address="home", minutes=4)
    flags = detectors.same_address(stuffed, usual(0.5))
    assert len(flags) == 20
    assert flags[0][2]["alike"] == 20
    # Where nearly everyone gives the top level, twenty of them are no evidence at all.
    assert detectors.same_address(stuffed, usual(0.99)) == []


def test_uniform_streak_needs_a_run_unlikely_for_the_office() -> None:
    flags = detectors.uniform_streak(seen(10, minutes=5), usual(0.3))
    assert len(flags) == 10
    assert flags[0][2]["run"] == 10
    assert detectors.uniform_streak(seen(10, minutes=5), usual(0.6)) == []  # 0.6^9 is 1 %
    assert detectors.uniform_streak(seen(10, minutes=40), usual(0.3)) == []  # not minutes apart
    rng = random.Random(2)
    assert detectors.uniform_streak(honest(80, rng), usual(0.5)) == []


def test_burst_compares_an_hour_with_the_office_usual_rate() -> None:
    flags = detectors.burst(seen(30, minutes=1.5), usual(3))
    assert len(flags) == 30
    assert flags[0][2]["usual"] == 3
    assert detectors.burst(seen(12, minutes=4), usual(6)) == []  # twice as busy as usual: fine
    assert detectors.burst(seen(7, minutes=1), usual(0)) == []  # too few to call it a burst


def test_over_dossiers_only_where_the_software_reports_dossiers() -> None:
    ratings = [(i, 1, MONDAY_9 + timedelta(minutes=i)) for i in range(5)]
    day = MONDAY_9.strftime("%d/%m/%Y")
    assert len(detectors.over_dossiers(ratings, {(1, day): 3}, {1})) == 5
    assert detectors.over_dossiers(ratings, {(1, day): 5}, {1}) == []
    assert detectors.over_dossiers(ratings, {}, set()) == []


def test_the_tails() -> None:
    assert abs(detectors.binomial_tail(2, 2, 0.5) - 0.25) < 1e-12
    assert detectors.binomial_tail(0, 5, 0.1) == 1.0
    assert 0 < detectors.binomial_tail(1500, 2000, 0.5) < 1e-50  # no overflow on big days
    assert abs(detectors.poisson_tail(1, 2.0) - (1 - 2.718281828459045**-2)) < 1e-12


def _ballot(db: Session, catalog: SurveyCatalog, code: str, at: datetime, **client: str) -> int:
    return rate(db, catalog, code, 5, at, **client)


def test_scan_flags_a_phone_over_real_ballots_once_and_changes_no_ballot(
    db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    start = datetime(2026, 10, 6, 10, 0, tzinfo=VN_TZ)  # one day, whatever the hour now
    until = start + timedelta(hours=4)
    phone = [
        _ballot(
            db,
            registered,
            office.code,
            start + timedelta(minutes=m),
            address="1.1.1.1",
            device="d" * 32,
        )
        for m in range(0, 50, 10)
    ]
    others = [
        _ballot(
            db,
            registered,
            office.code,
            start + timedelta(minutes=m),
            address=f"2.2.2.{m}",
            device=f"{m:032x}",
        )
        for m in range(3)
    ]
    from app.integrity.verify import verify_db

    before = verify_db(db.connection(), office.code)
    raised = scan(db.connection(), since=start, until=until, office_ids=[office.id or 0])
    assert raised == {"same-device": 5}
    flagged = {
        f.ballot_id for f in db.exec(select(BallotFlag).where(BallotFlag.office_id == office.id))
    }
    assert flagged == set(phone)
    assert not flagged & set(others)
    assert (
        scan(db.connection(), since=start, until=until, office_ids=[office.id or 0]) == {}
    )  # not twice
    after = verify_db(db.connection(), office.code)
    assert before.ok
    assert after.ok
    assert after.ballots == before.ballots == 8
