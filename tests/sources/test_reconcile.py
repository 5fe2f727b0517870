"""Dossiers against ratings: response rate, late returns, the 766-style indicator, and the units
whose numbers do not add up — checked against a count by hand."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ballots.office_info import Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.config import get_settings
from app.core.locale import VN_TZ
from app.sources.dossiers import DossierIn, register
from app.sources.links import Keys
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, make_office, make_user, six_answers

MAY = "from=2026-05-01&to=2026-05-31"


def _keys() -> Keys:
    return Keys.from_secret(get_settings().secret_key)


def _dossier(db: Session, code: str, n: int, *, returned: bool = True, late: bool = False) -> str:
    received = datetime(2026, 5, 2 + n, 8, tzinfo=VN_TZ)
    due = received + timedelta(days=2)
    data = DossierIn(
        received_at=received,
        due_at=due,
        returned_at=(due + timedelta(days=1) if late else due - timedelta(hours=2))
        if returned
        else None,
    )
    dossier = f"HS-{code}-{n:03d}"
    register(db, _keys(), "http://x", None, code, dossier, data)
    return dossier


def _rate(db: Session, catalog: SurveyCatalog, office, dossier: str, value: int) -> None:  # type: ignore[no-untyped-def]
    submit(
        db,
        catalog,
        office.code,
        Submission(answers=six_answers(value)),
        channel="web",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=False,
        submitted_at=datetime(2026, 5, 20, 10, tzinfo=VN_TZ),
        provenance=Provenance(
            "dossier", dossier_hash=_keys().dossier_hash(office.id or 0, dossier)
        ),
    )


def test_response_rate_and_indicator_equal_a_count_by_hand(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="RC", kind="province")
    unit = make_office(db, registered, code="RC.A", parent="RC")
    codes = [_dossier(db, "RC.A", n, late=n in (0, 1, 2)) for n in range(10)]
    _dossier(db, "RC.A", 20, returned=False)  # received in May, not yet returned
    _dossier(db, "RC.A", 21, returned=False)
    for dossier, value in zip(codes[:6], [5, 4, 5, 2, 1, 3], strict=True):
        _rate(db, registered, unit, dossier, value)
    auth = bearer(db, make_user(db, "inspector", "RC"))
    found = client.get(f"/api/v1/offices/RC.A/summary?{MAY}", headers=auth).json()["dossiers"]
    # 12 received, 10 returned (3 late), 6 rated of which 3 below "satisfied".
    assert found == {
        "registered": 12,
        "returned": 10,
        "returned_late": 3,
        "rated": 6,
        "rated_not_satisfied": 3,
        "response_rate": 0.6,
        "indicator_766": (10 - 3 - 3) / 10,
    }
    province = client.get(f"/api/v1/offices/RC/summary?{MAY}", headers=auth).json()
    assert province["dossiers"]["returned"] == 10  # the sub-tree's


def test_units_whose_numbers_do_not_add_up_are_marked(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    from tests.factories import sign_in

    make_office(db, registered, code="RF", kind="province")
    honest = make_office(db, registered, code="RF.A", parent="RF")
    stuffed = make_office(db, registered, code="RF.B", parent="RF")
    for n, dossier in enumerate(_dossier(db, "RF.A", k) for k in range(4)):
        if n < 3:
            _rate(db, registered, honest, dossier, 5)
    _dossier(db, "RF.B", 0)
    # Ratings "bound" to dossiers the one-stop software never reported as returned.
    for k in range(5):
        _rate(db, registered, stuffed, f"HS-RF.B-X{k}", 5)
    auth = bearer(db, make_user(db, "inspector", "RF"))
    children = client.get(f"/api/v1/offices/RF/children?{MAY}", headers=auth).json()["children"]
    marks = {c["office"]["code"]: c["flag"] for c in children}
    assert marks["RF.A"] is None
    assert marks["RF.B"] == "nhiều phiếu theo hồ sơ hơn số hồ sơ đã trả"
    rates = {c["office"]["code"]: c["dossiers"]["response_rate"] for c in children}
    assert rates == {"RF.A": 0.75, "RF.B": 0.0}
    sign_in(client, make_user(db, "inspector", "RF"))
    page = client.get(f"/staff/offices/RF/units?{MAY}").text
    assert "Tỷ lệ đánh giá" in page
    assert "75,0" in page
    assert "nhiều phiếu theo hồ sơ hơn số hồ sơ đã trả" in page
