"""Ratings a kiosk queued while offline, sent later through the API: stored once each with the
time they were cast, counted in that period, refused with a reason when they cannot be believed."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.ballots.intake import SessionIntake
from app.core.config import get_settings
from app.core.locale import to_local
from app.integrity.verify import verify_db
from app.models import Ballot, BallotFlag
from app.signals.scan import scan
from app.sources import device_keys
from app.sources.links import Keys
from app.sources.service import add_device, revoke_device
from app.stats.periods import period_of
from app.stats.service import children_figures, summarize
from app.surveys.catalog import SurveyCatalog, load_catalog
from app.surveys.service import register_catalog
from tests.factories import make_office, six_answers
from tests.surveys.test_catalog import _copy_surveys

DAY_MS = 86_400_000


class Kiosk:
    def __init__(self, db: Session, office: str) -> None:
        self.token, row = add_device(db, "Máy đánh giá", office, "kiosk", None, by="test")
        self.id = row.id or 0
        keys = Keys.from_secret(get_settings().secret_key)
        self.secret = keys.device_secret(self.id, row.secret_salt or "")
        self.office = office

    def entry(
        self, cast_ms: int, value: int = 4, *, version: int = 1, comment: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        idem = uuid.uuid4().hex
        answers = six_answers(value)
        message = device_keys.entry_message(idem, cast_ms, "cong-chuc", version, answers, comment)
        body = {
            "answers": answers,
            "comment": comment,
            "survey": "cong-chuc",
            "survey_version": version,
            "cast_at_ms": cast_ms,
            "signature": device_keys.sign_entry(self.secret, message),
        }
        return idem, body

    def send(self, client: TestClient, idem: str, body: dict[str, Any]) -> Any:
        return client.post(
            f"/api/v1/offices/{self.office}/responses",
            json=body,
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": idem},
        )


def _now_ms() -> int:
    return int(time.time() * 1000)


def test_a_queued_rating_is_stored_once_with_when_it_was_cast(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="K1")
    kiosk = Kiosk(db, "K1")
    cast_ms = _now_ms() - 3 * 3_600_000  # three hours ago, the network down since
    idem, body = kiosk.entry(cast_ms, comment="Chờ lâu vì mất mạng.")
    first = kiosk.send(client, idem, body)
    assert first.status_code == 201, first.text
    for _ in range(3):  # the whole queue forced out again: the same receipt, nothing new
        again = kiosk.send(client, idem, body)
        assert again.status_code == 200
        assert again.json()["receipt"] == first.json()["receipt"]
    ballot = db.exec(select(Ballot).where(Ballot.device_id == kiosk.id)).one()
    assert ballot.source == "kiosk"
    assert ballot.channel == "api"
    assert abs(ballot.submitted_at.timestamp() * 1000 - cast_ms) < 1
    assert ballot.received_at is not None
    assert ballot.received_at - ballot.submitted_at > timedelta(hours=2, minutes=59)
    assert ballot.comment == "Chờ lâu vì mất mạng."
    # What arrived late, and when, is chained: editing it is caught.
    assert verify_db(db.connection()).ok
    db.execute(
        text("UPDATE ballot SET received_at = submitted_at WHERE id = :id"), {"id": ballot.id}
    )
    assert not verify_db(db.connection()).ok


@pytest.mark.parametrize(
    ("shift_ms", "tamper", "code"),
    [
        (-3_600_000, "time", "queued_ballot_refused"),  # the cast time edited after signing
        (-3_600_000, "answers", "queued_ballot_refused"),
        (2 * 3_600_000, None, "queued_ballot_refused"),  # from the future
        (-8 * DAY_MS, None, "queued_ballot_refused"),  # older than the 7 days allowed
        (-3_600_000, "version", "queued_ballot_refused"),  # a survey version never published
    ],
)
def test_queued_ratings_that_cannot_be_believed_are_refused_and_nothing_is_stored(
    client: TestClient,
    db: Session,
    registered: SurveyCatalog,
    shift_ms: int,
    tamper: str | None,
    code: str,
) -> None:
    make_office(db, registered, code="K2")
    kiosk = Kiosk(db, "K2")
    cast_ms = _now_ms() + shift_ms
    idem, body = kiosk.entry(cast_ms, version=2 if tamper == "version" else 1)
    if tamper == "time":
        body["cast_at_ms"] = cast_ms + 3_600_000
    elif tamper == "answers":
        body["answers"] = six_answers(5)
    refused = kiosk.send(client, idem, body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == code
    assert refused.json()["detail_vi"]  # a reason the kiosk shows its staff
    assert db.exec(select(Ballot).where(Ballot.office_id == kiosk.id)).first() is None
    assert not db.exec(select(Ballot).where(Ballot.device_id == kiosk.id)).all()


def test_only_a_live_kiosk_queue_may_say_when_a_rating_was_cast(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="K3")
    kiosk = Kiosk(db, "K3")
    idem, body = kiosk.entry(_now_ms() - 60_000)
    url = "/api/v1/offices/K3/responses"
    anonymous = client.post(url, json=body, headers={"Idempotency-Key": idem})
    assert anonymous.status_code == 422
    keyless = client.post(url, json=body, headers={"Authorization": f"Bearer {kiosk.token}"})
    assert keyless.status_code == 422
    revoke_device(db, kiosk.id, by="test")
    revoked = kiosk.send(client, idem, body)
    assert revoked.status_code == 403
    assert revoked.json()["detail_vi"]
    assert not db.exec(select(Ballot).where(Ballot.device_id == kiosk.id)).all()


def test_a_rating_cast_before_the_survey_changed_keeps_its_version(
    app: FastAPI, client: TestClient, db: Session, registered: SurveyCatalog, tmp_path: Path
) -> None:
    make_office(db, registered, code="K4")
    kiosk = Kiosk(db, "K4")
    queued = [kiosk.entry(_now_ms() - 7_200_000, version=1) for _ in range(2)]
    # While the kiosk was offline the survey was published at version 2.
    surveys = _copy_surveys(tmp_path)
    path = surveys / "cong-chuc.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("Công chức hướng dẫn hồ sơ dễ hiểu", "Dễ hiểu")
        .replace("version = 1", "version = 2", 1),
        encoding="utf-8",
    )
    v2 = load_catalog(surveys, "cong-chuc")
    register_catalog(db, v2)
    app.state.hailong.intake = SessionIntake(db, v2)
    for idem, body in queued:
        assert kiosk.send(client, idem, body).status_code == 201
    idem, body = kiosk.entry(_now_ms(), version=2)
    assert kiosk.send(client, idem, body).status_code == 201
    versions = db.exec(select(Ballot.survey_version).where(Ballot.device_id == kiosk.id)).all()
    assert sorted(versions) == [1, 1, 2]


def test_late_ratings_count_in_the_period_they_were_cast_and_are_not_stuffing(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="KP", kind="province")
    make_office(db, registered, code="KP.1", parent="KP")
    kiosk = Kiosk(db, "KP.1")
    now = datetime.now(UTC)
    cast = now - timedelta(days=6)
    cast_ms = int(cast.timestamp() * 1000)
    # 200 ratings taken over an afternoon six days ago, all sent at once when the line is back;
    # a satisfied afternoon: from one address, so many alike would look stuffed from a phone.
    sent = [kiosk.entry(cast_ms + i * 60_000, 5) for i in range(200)]
    for idem, body in sent:
        assert kiosk.send(client, idem, body).status_code == 201
    fresh, body = kiosk.entry(_now_ms())
    assert kiosk.send(client, fresh, body).status_code == 201
    then = period_of("month", to_local(cast).date())
    this = period_of("month", to_local(now).date())
    counted = summarize(db, registered, "KP.1", then, min_responses=1).office.figures
    # Each in the month it was cast (an afternoon on the last day of a month runs into the next).
    months = [period_of("month", to_local(cast + timedelta(minutes=i)).date()) for i in range(200)]
    expected = months.count(then) + (1 if then == this else 0)
    assert counted.ballot_count == expected
    recount = db.execute(
        text(
            "SELECT count(*) FROM ballot WHERE device_id = :d AND submitted_at >= :s "
            "AND submitted_at < :e"
        ),
        dict(zip(("s", "e"), then.bounds_utc(), strict=True)) | {"d": kiosk.id},
    ).scalar_one()
    assert recount == expected
    # The province's ranking of that month places the unit on them.
    _, _, units = children_figures(db, registered, "KP", then, min_responses=1)
    assert [(u.code, u.figures.ballot_count, u.rank) for u in units] == [("KP.1", expected, (1, 1))]
    if then != this:
        now_figures = summarize(db, registered, "KP.1", this, min_responses=1).office.figures
        assert now_figures.ballot_count == 1 + months.count(this)
    # One kiosk, one address, 200 ballots arriving in one burst: one sync, no flag.
    scan(db.connection(), cast - timedelta(days=1))
    assert not db.exec(select(BallotFlag)).all()


def test_the_ballots_page_says_a_rating_arrived_late_and_when(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from tests.factories import make_user, sign_in

    make_office(db, registered, code="K5")
    kiosk = Kiosk(db, "K5")
    idem, body = kiosk.entry(_now_ms() - 90_000)
    assert kiosk.send(client, idem, body).status_code == 201
    sign_in(client, make_user(db, "inspector", "K5"))
    page = client.get("/staff/offices/K5/ballots").text
    assert "Máy đánh giá tại chỗ" in page
    assert "mất mạng, gửi muộn: nhận lúc" in page


def test_ballot_files_say_when_a_late_rating_arrived(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    import csv
    import io
    import json

    from tests.factories import bearer, make_user

    make_office(db, registered, code="K6")
    kiosk = Kiosk(db, "K6")
    cast_ms = _now_ms() - 2 * 3_600_000
    idem, body = kiosk.entry(cast_ms)
    assert kiosk.send(client, idem, body).status_code == 201
    day = to_local(datetime.fromtimestamp(cast_ms / 1000, UTC)).date().isoformat()
    today = to_local(datetime.now(UTC)).date().isoformat()
    headers = bearer(db, make_user(db, "inspector", "K6"))
    params = f"office=K6&from={day}&to={today}"
    sheet = client.get(f"/api/v1/exports/ballots.csv?{params}", headers=headers)
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    received = rows[1][rows[0].index("Nhận lúc (máy đánh giá gửi muộn)")]
    cast = rows[1][rows[0].index("Thời gian")]
    assert received.endswith("+07:00")
    assert received > cast
    lines = client.get(f"/api/v1/exports/ballots.jsonl?{params}", headers=headers).text
    record = json.loads(lines.splitlines()[0])
    assert record["received"] == received
    assert record["source"] == "kiosk"
