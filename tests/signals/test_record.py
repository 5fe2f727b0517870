"""Signals kept beside each ballot, privately, and the per-ballot rules run at intake."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.config import get_settings
from app.models import BallotFlag, BallotSignal, SignalKey
from app.offices.service import update_office
from app.signals.keys import form_stamp, read_stamp
from app.surveys.catalog import SurveyCatalog
from tests.factories import form_fields, make_office, six_answers

STAFF_ADDRESS = "10.1.2.7"
SECRET = get_settings().secret_key.get_secret_value()


@pytest.fixture
def staff_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, client=(STAFF_ADDRESS, 50000)) as c:
        yield c


def _stamp(html: str) -> str:
    match = re.search(r'name="stamp" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _flags(db: Session, office_id: int | None) -> list[BallotFlag]:
    return list(db.exec(select(BallotFlag).where(BallotFlag.office_id == office_id)))


def _served(office_id: int, seconds_ago: float) -> str:
    return form_stamp(SECRET, office_id, datetime.now(UTC) - timedelta(seconds=seconds_ago))


def test_a_ballot_keeps_hashes_and_timing_never_the_raw_address_or_cookie(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from app.signals.record import DAY_KEYS

    DAY_KEYS.clear()  # keys made by earlier tests were rolled back with them
    office = make_office(db, registered)
    page = client.get(f"/s/{office.code}")
    device = page.cookies.get("hl_device") or client.cookies.get("hl_device")
    assert device
    assert re.fullmatch(r"[0-9a-f]{32}", device)
    assert "httponly" in page.headers["set-cookie"].lower()
    stamp = _stamp(page.text)
    fields = form_fields(six_answers(5), idem="a" * 32, stamp=_served(office.id or 0, 40))
    assert client.post(f"/s/{office.code}", data=fields, follow_redirects=False).status_code == 303
    [signal] = db.exec(select(BallotSignal).where(BallotSignal.office_id == office.id)).all()
    assert signal.source == "open"
    assert signal.channel == "web"
    assert signal.seconds is not None
    assert 39 <= signal.seconds <= 60
    assert signal.address_hash
    assert signal.device_hash
    assert signal.address_hash != signal.device_hash
    stored = json.dumps([str(v) for v in signal.model_dump().values()])
    assert "testclient" not in stored
    assert device not in stored
    assert db.exec(select(SignalKey)).first() is not None
    assert _flags(db, office.id) == []  # a citizen taking 40 s is not flagged
    assert read_stamp(SECRET, office.id or 0, stamp) is not None
    assert read_stamp(SECRET, (office.id or 0) + 1, stamp) is None  # bound to its office


def test_too_fast_forged_or_missing_time_is_flagged(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    oid = office.id or 0
    client.get(f"/s/{office.code}")
    fast = _served(oid, 2)
    forged = re.sub(r"\.[^.]+$", ".AAAAAAAAAAAAAAAAAAAAAA", _served(oid, 300))
    for n, stamp in enumerate((fast, forged, "")):
        fields = form_fields(six_answers(4), idem=f"{n:032x}", stamp=stamp)
        assert (
            client.post(f"/s/{office.code}", data=fields, follow_redirects=False).status_code == 303
        )
    flags = _flags(db, office.id)
    assert [f.rule for f in flags] == ["too-fast"] * 3
    evidence = [json.loads(f.evidence) for f in flags]
    assert evidence[0]["seconds"] < 6
    assert evidence[0]["limit"] == 6.0
    assert evidence[1]["form_time"] == evidence[2]["form_time"] == "missing"


def test_a_form_sent_again_is_timed_from_its_last_sending(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """A slow form's signed time cannot be replayed to make many quick ballots look slow: the
    scan times each sending after the first from the one before."""
    from app.signals.scan import scan

    office = make_office(db, registered)
    stamp = _served(office.id or 0, 120)
    for n in range(3):
        fields = form_fields(six_answers(5 - n), idem="b" * 32, stamp=stamp)
        response = client.post(f"/s/{office.code}", data=fields, follow_redirects=False)
        assert response.status_code == 303
    assert _flags(db, office.id) == []  # each sending alone is 120 s after serving
    raised = scan(db.connection(), since=datetime.now(UTC) - timedelta(hours=1))
    assert raised == {"too-fast": 2}
    evidence = [json.loads(f.evidence) for f in _flags(db, office.id)]
    assert all(e["form"] == "sent again" and e["seconds"] < 5 for e in evidence)


def test_staff_network_ballot_through_the_api_is_flagged(
    staff_client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    parent = make_office(db, registered, kind="commune")
    office = make_office(db, registered, parent=parent.code)
    update_office(db, parent.code, registered, staff_networks="10.1.2.0/24")  # inherited
    response = staff_client.post(
        f"/api/v1/offices/{office.code}/responses", json={"answers": six_answers(5)}
    )
    assert response.status_code == 201
    [flag] = _flags(db, office.id)
    assert flag.rule == "staff-network"
    [signal] = db.exec(select(BallotSignal).where(BallotSignal.office_id == office.id)).all()
    assert signal.staff_network
    assert signal.channel == "api"
    assert signal.seconds is None


def test_opening_hours_come_from_the_office_then_its_ancestors_then_the_default(
    db: Session, registered: SurveyCatalog
) -> None:
    from app.ballots.office_info import load_office_info
    from app.core.hours import DEFAULT_WEEK, is_open, parse_hours

    parent = make_office(db, registered, kind="commune")
    office = make_office(db, registered, parent=parent.code)
    sunday_noon = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam, a Sunday
    assert not is_open(DEFAULT_WEEK, sunday_noon)  # the national default: closed on Sundays
    assert load_office_info(db, registered, office.code).hours == parse_hours(
        get_settings().opening_hours
    )
    update_office(db, parent.code, registered, opening_hours="T7-CN 08:00-12:00")
    assert is_open(load_office_info(db, registered, office.code).hours, sunday_noon)
    update_office(db, office.code, registered, opening_hours="T2-T6 07:00-11:00")
    info = load_office_info(db, registered, office.code)
    assert not is_open(info.hours, sunday_noon)
    monday_1150 = datetime(2026, 11, 30, 4, 50, tzinfo=UTC)  # within the hour after closing
    monday_1230 = datetime(2026, 11, 30, 5, 30, tzinfo=UTC)
    assert is_open(info.hours, monday_1150)
    assert not is_open(info.hours, monday_1230)
    update_office(db, office.code, registered, opening_hours="inherit")
    assert is_open(load_office_info(db, registered, office.code).hours, sunday_noon)


def test_a_rating_on_the_premises_outside_opening_hours_is_flagged(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from app.core.locale import to_local

    office = make_office(db, registered)
    away = (to_local(datetime.now(UTC)).hour + 12) % 24  # an hour's opening, half a day away
    update_office(
        db, office.code, registered, opening_hours=f"T2-CN {away:02d}:00-{away + 1:02d}:00"
    )
    response = client.post(
        f"/api/v1/offices/{office.code}/responses", json={"answers": six_answers(5)}
    )
    assert response.status_code == 201
    [flag] = _flags(db, office.id)
    assert flag.rule == "off-hours"
    assert "local_time" in json.loads(flag.evidence)


def test_flags_never_touch_the_chain(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from app.integrity.verify import verify_db

    office = make_office(db, registered)
    for n in range(3):
        fields = form_fields(six_answers(5), idem=f"{n:032x}", stamp="")
        client.post(f"/s/{office.code}", data=fields, follow_redirects=False)
    assert len(_flags(db, office.id)) == 3
    report = verify_db(db.connection(), office.code)
    assert report.ok
    assert report.ballots == 3
