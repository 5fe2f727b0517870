"""Which ballot sources count: a policy per office, inherited down the tree, applied when the
figures are read; the ballots themselves are all kept."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.ballots.office_info import OPEN, Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.models import Ballot
from app.offices.service import update_office
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, form_fields, make_office, make_user, six_answers

DAY = "from=2026-05-01&to=2026-05-31"
PLAN = [  # (source, value every criterion gets)
    (OPEN, 5),
    (OPEN, 5),
    (OPEN, 5),
    (Provenance("counter", device_id=1), 2),
    (Provenance("dossier", dossier_hash="a" * 64, officer_code="CB1"), 4),
    (Provenance("dossier", dossier_hash="b" * 64, officer_code="CB2"), 1),
    (Provenance("kiosk", device_id=2), 5),
]


def _store(db: Session, catalog: SurveyCatalog, code: str) -> None:
    for n, (source, value) in enumerate(PLAN):
        submit(
            db,
            catalog,
            code,
            Submission(answers=six_answers(value)),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, 4 + n, 9, tzinfo=VN_TZ),
            provenance=source,
        )


def _recount(db: Session, office_id: int | None, counted: set[str]) -> tuple[int, float]:
    """Ballots and headline share from the raw ballots of the counted sources alone."""
    from app.models import Answer

    ballots = [
        b
        for b in db.exec(select(Ballot).where(Ballot.office_id == office_id)).all()
        if (b.source or "open") in counted
    ]
    values = [
        v
        for b in ballots
        for v in db.exec(select(Answer.value).where(Answer.ballot_id == b.id)).all()
    ]
    return len(ballots), sum(1 for v in values if v >= 4) / len(values)


def test_figures_count_the_sources_the_policy_names(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="PO", kind="province")
    unit = make_office(db, registered, code="PO.A", parent="PO", counters=1)
    make_office(db, registered, code="PO.B", parent="PO")
    _store(db, registered, "PO.A")
    _store(db, registered, "PO.B")
    auth = bearer(db, make_user(db, "inspector", "PO"))
    before = client.get(f"/api/v1/offices/PO.A/summary?{DAY}", headers=auth).json()
    assert before["ballots"] == 7
    assert before["uncounted"] == 0
    assert before["provenance"]["open"] == {"ballots": 3, "counted": True}

    # The province decides the open QR no longer counts; its units inherit that.
    update_office(db, "PO", registered, count_sources="counter,dossier,kiosk")
    after = client.get(f"/api/v1/offices/PO.A/summary?{DAY}", headers=auth).json()
    ballots, share = _recount(db, unit.id, {"counter", "dossier", "kiosk"})
    assert after["ballots"] == ballots == 4
    assert abs(after["headline"] - share) < 1e-6  # the API rounds to 6 places
    assert after["uncounted"] == 3
    assert after["provenance"] == {
        "counter": {"ballots": 1, "counted": True},
        "dossier": {"ballots": 2, "counted": True},
        "kiosk": {"ballots": 1, "counted": True},
        "open": {"ballots": 3, "counted": False},
    }
    # The same for one survey on its own, and in the ranking of the province's units.
    alone = client.get(f"/api/v1/offices/PO.A/summary?{DAY}&survey=cong-chuc", headers=auth)
    assert alone.json()["ballots"] == 4
    children = client.get(f"/api/v1/offices/PO/children?{DAY}", headers=auth).json()
    assert {c["office"]["code"]: c["ballots"] for c in children["children"]} == {
        "PO.A": 4,
        "PO.B": 4,
    }
    # A unit may set its own policy; nothing was deleted.
    update_office(db, "PO.B", registered, count_sources="dossier")
    mine = client.get(f"/api/v1/offices/PO.B/summary?{DAY}", headers=auth).json()
    assert mine["ballots"] == 2
    assert mine["uncounted"] == 5
    assert len(db.exec(select(Ballot)).all()) == 14
    update_office(db, "PO", registered, count_sources="inherit")
    assert client.get(f"/api/v1/offices/PO.A/summary?{DAY}", headers=auth).json()["ballots"] == 7


def test_where_the_open_qr_does_not_count_the_form_says_how_to_rate(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    make_office(db, registered, code="PQ", kind="province")
    unit = make_office(db, registered, code="PQ.A", parent="PQ")
    update_office(db, "PQ", registered, count_sources="counter,dossier")
    page = client.get("/s/PQ.A")
    assert page.status_code == 403
    assert "quét mã QR" in page.text
    sent = client.post("/s/PQ.A", data=form_fields(six_answers(5)))
    assert sent.status_code == 403
    assert db.exec(select(Ballot).where(Ballot.office_id == unit.id)).all() == []


def test_a_wrong_policy_is_refused(db: Session, registered: SurveyCatalog) -> None:
    import pytest

    from app.core.errors import InvalidInput

    make_office(db, registered, code="PR")
    with pytest.raises(InvalidInput):
        update_office(db, "PR", registered, count_sources="open,fax")
    with pytest.raises(InvalidInput):
        update_office(db, "PR", registered, count_sources=" , ")
    office = update_office(db, "PR", registered, count_sources="kiosk, open")
    assert office.count_sources == "open,kiosk"
