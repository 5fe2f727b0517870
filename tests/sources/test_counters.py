"""A counter screen's rotating QR: a ballot through it is a counter ballot, or bound to the
dossier the one-stop software announced there."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from app.core.config import get_settings
from app.integrity.verify import verify_db
from app.models import Ballot
from app.sources import links
from app.sources.links import Keys
from app.sources.service import add_device, add_integration
from app.surveys.catalog import SurveyCatalog
from tests.factories import form_fields, make_office, six_answers


def _keys() -> Keys:
    settings = get_settings()
    return Keys.from_secret(settings.secret_key, settings.counter_qr_seconds)


def test_counter_ballots_and_announced_dossiers(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="C1", kind="province")
    unit = make_office(db, registered, code="C1.A", parent="C1", counters=3)
    _, screen = add_device(db, "Màn hình quầy 2", "C1.A", "counter-screen", 2, by="test")
    keys = _keys()
    token = links.mint_counter(keys, "C1.A", 2, screen.id or 0, links.counter_window(keys))
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "ít phút" in page.text
    first = client.post(f"/r/{token}", data=form_fields(six_answers(5)), follow_redirects=False)
    assert first.status_code == 303
    ballot = db.exec(select(Ballot).where(Ballot.office_id == unit.id)).one()
    assert (ballot.source, ballot.device_id, ballot.counter) == ("counter", screen.id, 2)
    assert ballot.dossier_hash is None

    # The one-stop software says counter 2 now serves a dossier: the next rating is bound to it.
    integration, _ = add_integration(db, "Một cửa", "C1", public_key=None, by="test")
    announced = client.put(
        "/api/v1/offices/C1.A/counters/2/current",
        json={"dossier_code": "HS-2026-0099", "officer_code": "CB5", "officer_name": "Trần An"},
        headers={"Authorization": f"Bearer {integration}"},
    )
    assert announced.status_code == 200, announced.text
    assert announced.json()["dossier_bound_for_minutes"] == 10
    bound = client.post(f"/r/{token}", data=form_fields(six_answers(4)), follow_redirects=False)
    assert bound.status_code == 303
    second = db.exec(
        select(Ballot).where(Ballot.office_id == unit.id, Ballot.source == "dossier")
    ).one()
    assert second.officer_code == "CB5"
    assert second.dossier_hash == keys.dossier_hash(unit.id or 0, "HS-2026-0099")
    # The same dossier again through the screen: one rating per dossier.
    client.post(f"/r/{token}", data=form_fields(six_answers(1)), follow_redirects=False)
    assert len(db.exec(select(Ballot).where(Ballot.office_id == unit.id)).all()) == 2

    # A QR three windows old is refused with a page saying to scan the screen again.
    old = links.mint_counter(keys, "C1.A", 2, screen.id or 0, links.counter_window(keys) - 3)
    refused = client.post(f"/r/{old}", data=form_fields(six_answers(5)))
    assert refused.status_code == 410
    assert "quét lại" in refused.text
    # A counter the office does not have.
    ghost = links.mint_counter(keys, "C1.A", 7, screen.id or 0, links.counter_window(keys))
    assert client.get(f"/r/{ghost}").status_code == 400
    assert len(db.exec(select(Ballot).where(Ballot.office_id == unit.id)).all()) == 2


def test_tampering_with_provenance_is_caught(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    unit = make_office(db, registered, code="V1", counters=1)
    _, screen = add_device(db, "Màn hình", "V1", "counter-screen", 1, by="test")
    keys = _keys()
    token = links.mint_counter(keys, "V1", 1, screen.id or 0, int(time.time()) // 30)
    client.post(f"/r/{token}", data=form_fields(six_answers(5)), follow_redirects=False)
    client.post("/api/v1/offices/V1/responses", json={"answers": six_answers(2)})
    report = verify_db(db.connection(), "V1")
    assert report.ok
    assert report.ballots == 2
    # Someone with database access relabels the open ballot as a counter one.
    db.connection().execute(
        text("UPDATE ballot SET source = 'counter' WHERE office_id = :o AND source = 'open'"),
        {"o": unit.id},
    )
    report = verify_db(db.connection(), "V1")
    assert [f.kind for f in report.findings or []] == ["edited"]


def test_the_ballots_page_says_where_each_came_from(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from tests.factories import make_user, sign_in

    make_office(db, registered, code="B1", kind="province")
    make_office(db, registered, code="B1.A", parent="B1", counters=1)
    _, screen = add_device(db, "Màn hình", "B1.A", "counter-screen", 1, by="test")
    keys = _keys()
    token = links.mint_counter(keys, "B1.A", 1, screen.id or 0, links.counter_window(keys))
    client.post(f"/r/{token}", data=form_fields(six_answers(5)), follow_redirects=False)
    link = links.mint_link(keys, "B1.A", "HS-0007", officer="CB9")
    client.post(f"/r/{link}", data=form_fields(six_answers(4)), follow_redirects=False)
    client.post("/api/v1/offices/B1.A/responses", json={"answers": six_answers(3)})
    sign_in(client, make_user(db, "officer", "B1.A"))
    page = client.get("/staff/offices/B1.A/ballots").text
    for label in ("Mã QR tại quầy", "Theo hồ sơ", "Mã QR chung"):
        assert label in page
    assert "CB9" not in page  # officers do not see which officer a rating names
    only = client.get("/staff/offices/B1.A/ballots?source=dossier").text
    assert "Theo hồ sơ" in only
    assert "Mã QR chung</td>" not in only
    assert client.get("/staff/offices/B1.A/ballots?source=fax").status_code == 400
    # The dashboard says how many came by each way.
    dashboard = client.get("/staff/offices/B1.A?period=day").text
    assert 'data-source="counter">1<' in dashboard
    assert 'data-source="dossier">1<' in dashboard
    assert 'data-source="open">1<' in dashboard
    client.post("/logout")
    sign_in(client, make_user(db, "inspector", "B1"))
    assert "cán bộ CB9" in client.get("/staff/offices/B1.A/ballots?source=dossier").text


def test_a_form_from_a_fresh_qr_may_take_minutes_to_fill(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """The rotating code must be fresh when it is scanned, not when the answers are sent: the
    form's signed serving time is what is checked, within HAILONG_FORM_MINUTES."""
    from datetime import UTC, datetime

    from app.signals.keys import form_stamp

    unit = make_office(db, registered, code="F1", counters=1)
    _, screen = add_device(db, "Màn hình quầy 1", "F1", "counter-screen", 1, by="test")
    keys, secret = _keys(), get_settings().secret_key.get_secret_value()
    now = time.time()

    def sent(served_ago: float, windows_ago: int) -> int:
        served = now - served_ago
        token = links.mint_counter(
            keys, "F1", 1, screen.id or 0, links.counter_window(keys, served) - windows_ago
        )
        stamp = form_stamp(secret, unit.id or 0, datetime.fromtimestamp(served, UTC))
        fields = {**form_fields(six_answers(5)), "stamp": stamp}
        return client.post(f"/r/{token}", data=fields, follow_redirects=False).status_code

    seconds = keys.counter_seconds
    assert sent(served_ago=4 * seconds, windows_ago=0) == 303  # scanned fresh, answered slowly
    assert sent(served_ago=keys.form_seconds + 60, windows_ago=0) == 410  # left too long
    assert sent(served_ago=0, windows_ago=3) == 410  # an old photo of the screen
    assert len(db.exec(select(Ballot).where(Ballot.office_id == unit.id)).all()) == 1
