"""Dossier-bound rating links: registered by an integration, used once, private."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select

from app.core.config import get_settings
from app.models import Ballot, Dossier
from app.sources.links import Keys
from app.sources.service import add_device, add_integration
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, form_fields, make_office, make_user, six_answers

DOSSIER = "000.00.12.H56-261120-0042"


def _keys() -> Keys:
    settings = get_settings()
    return Keys.from_secret(settings.secret_key, settings.counter_qr_seconds)


def _integration(db: Session, office: str) -> dict[str, str]:
    token, _ = add_integration(db, "Một cửa điện tử", office, public_key=None, by="test")
    return {"Authorization": f"Bearer {token}"}


def _put(client: TestClient, office: str, dossier: str, body: Any, headers: Any) -> Any:
    return client.put(f"/api/v1/offices/{office}/dossiers/{dossier}", json=body, headers=headers)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_register_rate_once_and_keep_the_code_private(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    province = make_office(db, registered, code="P38", kind="province")
    unit = make_office(db, registered, code="P38.TH", parent="P38", counters=3)
    auth = _integration(db, "P38")
    body = {
        "procedure_code": "1.001776",
        "field": "Hộ  tịch",
        "officer_code": "CB017",
        "officer_name": "Lê Thị Hoa",
        "counter": 2,
        "received_at": "2026-11-20T08:15:00+07:00",
        "due_at": "2026-11-25T17:00:00+07:00",
    }
    created = _put(client, unit.code, DOSSIER, body, auth)
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["rated"] is False
    assert link["office"] == "P38.TH"
    assert link["qr_png"] == link["rating_url"] + "/qr.png"
    # Later the result is returned: the same PUT again, with what is new.
    updated = _put(client, unit.code, DOSSIER, {"returned_at": "2026-11-24T10:00:00+07:00"}, auth)
    assert updated.status_code == 200
    [row] = db.exec(select(Dossier).where(Dossier.office_id == unit.id)).all()
    assert (row.procedure_code, row.field, row.counter) == ("1.001776", "Hộ tịch", 2)
    assert row.returned_at is not None
    assert DOSSIER not in row.code_hash

    qr = client.get(_path(link["qr_png"]))
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/png"

    page = client.get(_path(link["rating_url"]))
    assert page.status_code == 200
    assert "gắn với hồ sơ" in page.text
    assert "Quầy 2" in page.text
    idem = re.search(r'name="idem" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    sent = client.post(
        _path(link["rating_url"]),
        data=form_fields(six_answers(5), idem=idem),
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    [ballot] = db.exec(select(Ballot).where(Ballot.office_id == unit.id)).all()
    assert (ballot.source, ballot.officer_code, ballot.counter) == ("dossier", "CB017", 2)
    assert ballot.dossier_hash == row.code_hash
    assert ballot.integration_id is not None  # the integration that registered the dossier
    assert DOSSIER not in repr(ballot.model_dump())

    # The link again: the first rating's receipt, nothing new stored, even with other answers.
    again = client.get(_path(link["rating_url"]))
    assert "Hồ sơ này đã được đánh giá" in again.text
    assert ballot.receipt[:5] in again.text
    replay = client.post(
        _path(link["rating_url"]),
        data=form_fields(six_answers(1), idem="another-visit"),
        follow_redirects=False,
    )
    assert replay.status_code == 303
    assert ballot.receipt in replay.headers["location"]
    assert "again=1" in replay.headers["location"]
    assert len(db.exec(select(Ballot).where(Ballot.office_id == unit.id)).all()) == 1
    assert _put(client, unit.code, DOSSIER, {}, auth).json()["rated"] is True
    assert province.id


def test_bad_dossier_requests_get_422(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="Q1", kind="province")
    make_office(db, registered, code="Q1.A", parent="Q1", counters=1)
    make_office(db, registered, code="Q2", kind="province")
    auth = _integration(db, "Q1")
    ok = {"received_at": "2026-11-20T08:00:00+07:00"}
    assert _put(client, "Q1.A", DOSSIER, ok, auth).status_code == 201
    for office, dossier, body in (
        ("NOPE", DOSSIER, ok),  # unknown office
        ("Q2", DOSSIER, ok),  # an office outside the integration's sub-tree: alike
        ("Q1.A", "x", ok),  # malformed code
        ("Q1.A", "HS 0001", ok),
        ("Q1.A", DOSSIER, {"returned_at": "2026-11-19T08:00:00+07:00"}),  # before received
        ("Q1.A", DOSSIER, {"counter": 9}),  # no such counter
        ("Q1.A", DOSSIER, {"received_at": "2026-11-20T08:00:00"}),  # no offset
        ("Q1.A", DOSSIER, {"colour": "red"}),
    ):
        response = _put(client, office, dossier, body, auth)
        assert response.status_code == 422, (office, dossier, body, response.text)
        assert "detail" in response.json()


def test_only_integrations_register_and_they_cannot_read(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="R1", kind="province")
    make_office(db, registered, code="R1.A", parent="R1", counters=2)
    officer = bearer(db, make_user(db, "officer", office="R1.A"))
    admin = bearer(db, make_user(db, "admin"))
    device_token, _ = add_device(db, "Kiosk sảnh", "R1.A", "kiosk", None, by="test")
    integration = _integration(db, "R1")
    body = {"received_at": "2026-11-20T08:00:00+07:00"}
    assert _put(client, "R1.A", DOSSIER, body, {}).status_code == 401
    assert _put(client, "R1.A", DOSSIER, body, officer).status_code == 403
    assert _put(client, "R1.A", DOSSIER, body, admin).status_code == 403
    device = {"Authorization": f"Bearer {device_token}"}
    assert _put(client, "R1.A", DOSSIER, body, device).status_code == 403
    counter = client.put(
        "/api/v1/offices/R1.A/counters/1/current", json={"officer_name": "An"}, headers=officer
    )
    assert counter.status_code == 403
    # An integration reads no figures, ballots or exports.
    for path in (
        "/api/v1/offices/R1.A/summary",
        "/api/v1/offices/R1/children",
        "/api/v1/exports/ballots.csv?office=R1",
        "/api/v1/exports/summary.csv?office=R1",
    ):
        assert client.get(path, headers=integration).status_code == 401, path
    # Nor does it cast ballots.
    cast = client.post(
        "/api/v1/offices/R1.A/responses", json={"answers": six_answers(5)}, headers=integration
    )
    assert cast.status_code == 403


def test_issuing_is_for_admins_and_inspectors_in_scope(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="S1", kind="province")
    make_office(db, registered, code="S1.A", parent="S1", counters=2)
    make_office(db, registered, code="S2", kind="province")
    officer = bearer(db, make_user(db, "officer", office="S1.A"))
    inspector = bearer(db, make_user(db, "inspector", office="S1"))
    admin = bearer(db, make_user(db, "admin"))
    device = {"name": "Màn hình quầy 1", "office": "S1.A", "kind": "counter-screen", "counter": 1}
    integration = {"name": "Một cửa điện tử", "office": "S1"}
    assert client.post("/api/v1/devices", json=device, headers=officer).status_code == 403
    assert client.post("/api/v1/integrations", json=integration, headers=officer).status_code == 403
    made = client.post("/api/v1/devices", json=device, headers=inspector)
    assert made.status_code == 201, made.text
    address, secret = made.json()["url"].split("#k=")  # the screen's own secret, for its QR
    assert address.endswith(made.json()["token"])
    assert len(secret) == 43
    elsewhere = {**integration, "office": "S2"}
    assert client.post("/api/v1/integrations", json=elsewhere, headers=inspector).status_code == 404
    assert client.post("/api/v1/integrations", json=elsewhere, headers=admin).status_code == 201
    no_counter = {**device, "counter": None}
    assert client.post("/api/v1/devices", json=no_counter, headers=admin).status_code == 422


def test_kiosks_cast_ballots_that_say_so(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="K1", kind="province")
    unit = make_office(db, registered, code="K1.A", parent="K1")
    make_office(db, registered, code="K1.B", parent="K1")
    token, device = add_device(db, "Máy đánh giá", "K1.A", "kiosk", None, by="test")
    kiosk = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/offices/{}/responses"
    stored = client.post(url.format("K1.A"), json={"answers": six_answers(4)}, headers=kiosk)
    assert stored.status_code == 201
    ballot = db.exec(select(Ballot).where(Ballot.receipt == stored.json()["receipt"])).one()
    assert (ballot.source, ballot.device_id) == ("kiosk", device.id)
    assert ballot.office_id == unit.id
    other = client.post(url.format("K1.B"), json={"answers": six_answers(4)}, headers=kiosk)
    assert other.status_code == 403
    officer = bearer(db, make_user(db, "officer", office="K1.A"))
    assert (
        client.post(
            url.format("K1.A"), json={"answers": six_answers(5)}, headers=officer
        ).status_code
        == 403
    )
    anonymous = client.post(url.format("K1.A"), json={"answers": six_answers(3)})
    assert anonymous.status_code == 201
    assert (
        db.exec(select(Ballot.source).where(Ballot.receipt == anonymous.json()["receipt"])).one()
        == "open"
    )


def test_a_link_signed_with_another_secret_gets_a_vietnamese_page(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from app.sources.links import mint_link

    make_office(db, registered, code="F1")
    forged = mint_link(Keys.from_secret(SecretStr("x" * 40)), "F1", DOSSIER)
    page = client.get(f"/r/{forged}")
    assert page.status_code == 400
    assert "không hợp lệ" in page.text
    posted = client.post(f"/r/{forged}", data=form_fields(six_answers(5)))
    assert posted.status_code == 400
    assert db.exec(select(Ballot).where(Ballot.office_id.is_not(None))).all() == []  # type: ignore[union-attr]
    unknown = mint_link(_keys(), "NO-SUCH-OFFICE", DOSSIER)
    assert client.get(f"/r/{unknown}").status_code == 404


def test_a_link_naming_a_counter_the_office_lacks_is_refused(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """A dossier's link (hailong's own or signed offline) naming counter 7 of a unit with two
    is refused, rather than stored as a rating at no counter."""
    from app.sources.links import mint_link

    unit = make_office(db, registered, code="K1", counters=2)
    link = mint_link(_keys(), "K1", DOSSIER, counter=7)
    assert client.get(f"/r/{link}").status_code == 400
    posted = client.post(f"/r/{link}", data=form_fields(six_answers(5)), follow_redirects=False)
    assert posted.status_code == 400
    assert db.exec(select(Ballot).where(Ballot.office_id == unit.id)).all() == []
    fine = mint_link(_keys(), "K1", DOSSIER, counter=2)
    done = client.post(f"/r/{fine}", data=form_fields(six_answers(5)), follow_redirects=False)
    assert done.status_code == 303
