"""Figures per officer: for the unit's head, inspectors and admins, never for the officers being
compared; only with enough ballots behind them; equal to a count by hand."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ballots.office_info import OPEN, Provenance
from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, make_office, make_user, six_answers

URL = "/api/v1/offices/OF.A/officers?from=2026-05-01&to=2026-05-31&min_responses=10"


def _rate(db: Session, catalog: SurveyCatalog, officer: str | None, value: int, n: int) -> None:
    source = Provenance("dossier", dossier_hash=uuid.uuid4().hex, officer_code=officer)
    submit(
        db,
        catalog,
        "OF.A",
        Submission(answers=six_answers(value)),
        channel="web",
        idempotency_key=uuid.uuid4().hex,
        strict_replay=False,
        submitted_at=datetime(2026, 5, 3 + n % 20, 9, tzinfo=VN_TZ),
        provenance=source if officer else OPEN,
    )


def test_per_officer_figures(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    make_office(db, registered, code="OF", kind="province")
    make_office(db, registered, code="OF.A", parent="OF")
    for n in range(12):  # CB1: 9 of 12 satisfied or better
        _rate(db, registered, "CB1", 5 if n < 9 else 2, n)
    for n in range(4):  # CB2: too few to show
        _rate(db, registered, "CB2", 1, n)
    for n in range(5):  # the open QR names nobody
        _rate(db, registered, None, 5, n)

    officer = make_user(db, "officer", "OF.A")
    assert client.get(URL, headers=bearer(db, officer)).status_code == 403
    head = make_user(db, "officer", "OF.A")
    head.is_head = True
    db.add(head)
    db.flush()
    for user in (head, make_user(db, "inspector", "OF"), make_user(db, "admin")):
        found = client.get(URL, headers=bearer(db, user))
        assert found.status_code == 200, found.text
    data = found.json()["officers"]
    assert [(o["officer_code"], o["ballots"]) for o in data] == [("CB1", 12), ("CB2", 4)]
    assert data[0]["headline"] == 0.75
    assert all(c["answered"] == 12 for c in data[0]["criteria"])
    assert data[1]["figures"] is None
    assert data[1]["reason"] == "too_few_ballots"
    assert "headline" not in data[1]
