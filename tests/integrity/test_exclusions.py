"""Separation of duties: inspectors exclude (and reinstate) with a reason, officers cannot; the
figures follow, the ballot stays, and every decision is logged."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.ballots.service import submit
from app.ballots.validation import Submission
from app.core.locale import VN_TZ
from app.models import AuditEvent, Ballot, Exclusion
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, make_office, make_user, sign_in, six_answers
from tests.stats.recount import (
    recount,
    recount_compared,
    recount_moments,
    stored,
    stored_compared,
    stored_moments,
)

SUMMARY = "/api/v1/offices/EX-A/summary?from=2026-05-01&to=2026-05-31"


def _setup(db: Session, catalog: SurveyCatalog) -> list[str]:
    make_office(db, catalog, code="EX-P", kind="province")
    make_office(db, catalog, code="EX-A", parent="EX-P")
    make_office(db, catalog, code="EX-B", parent="EX-P")
    receipts = []
    for value in (5, 5, 2):
        ballot, _ = submit(
            db,
            catalog,
            "EX-A",
            Submission(answers=six_answers(value)),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, 4, 9, tzinfo=VN_TZ),
        )
        receipts.append(ballot.receipt)
    return receipts


def test_inspector_excludes_and_reinstates(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    inspector = bearer(db, make_user(db, "inspector", "EX-P"))
    before = client.get(SUMMARY, headers=inspector).json()
    assert (before["ballots"], before["excluded"]) == (3, 0)
    url = f"/api/v1/ballots/{receipts[2]}/exclusion"
    assert client.post(url, json={"reason": "x"}, headers=inspector).status_code == 422
    response = client.post(url, json={"reason": "Phiếu thử của cán bộ"}, headers=inspector)
    assert response.status_code == 201
    after = client.get(SUMMARY, headers=inspector).json()
    assert (after["ballots"], after["excluded"]) == (2, 1)
    assert after["criteria"][0]["shares"]["satisfied_or_better"] == 1.0
    assert client.post(url, json={"reason": "lần nữa"}, headers=inspector).status_code == 409
    # The ballot itself is still there.
    assert db.exec(select(Ballot).where(Ballot.receipt == receipts[2])).one()
    assert stored(db.connection()) == recount(db.connection())
    assert stored_moments(db.connection()) == recount_moments(db.connection(), registered.criteria)
    assert stored_compared(db.connection()) == recount_compared(
        db.connection(), registered.criteria
    )
    back = client.post(
        f"/api/v1/ballots/{receipts[2]}/reinstatement",
        json={"reason": "Kiểm tra lại: phiếu hợp lệ"},
        headers=inspector,
    )
    assert back.status_code == 200
    assert client.get(SUMMARY, headers=inspector).json()["excluded"] == 0
    assert stored(db.connection()) == recount(db.connection())
    assert stored_moments(db.connection()) == recount_moments(db.connection(), registered.criteria)
    assert stored_compared(db.connection()) == recount_compared(
        db.connection(), registered.criteria
    )
    decisions = db.exec(select(Exclusion.excluded, Exclusion.reason)).all()
    assert [d[0] for d in decisions] == [True, False]
    actions = [e.action for e in db.exec(select(AuditEvent)).all()]
    assert actions.count("exclude") == 1
    assert actions.count("reinstate") == 1


def test_officers_cannot_exclude(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    officer = bearer(db, make_user(db, "officer", "EX-A"))
    response = client.post(
        f"/api/v1/ballots/{receipts[2]}/exclusion",
        json={"reason": "Không thích phiếu này"},
        headers=officer,
    )
    assert response.status_code == 403
    assert client.get(SUMMARY, headers=officer).json()["excluded"] == 0
    assert db.exec(select(Exclusion)).all() == []


def test_inspectors_only_in_their_scope(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    elsewhere = bearer(db, make_user(db, "inspector", "EX-B"))
    response = client.post(
        f"/api/v1/ballots/{receipts[0]}/exclusion",
        json={"reason": "Không thuộc phạm vi"},
        headers=elsewhere,
    )
    assert response.status_code == 404
    # Answered exactly as a receipt that does not exist: no office code, no hint it exists.
    missing = client.post(
        "/api/v1/ballots/ZZZZZZZZZZ/exclusion",
        json={"reason": "Không thuộc phạm vi"},
        headers=elsewhere,
    )
    assert response.json()["code"] == missing.json()["code"]
    assert "EX-A" not in response.text
    assert response.json()["detail"].replace(receipts[0], "R") == missing.json()["detail"].replace(
        "ZZZZZZZZZZ", "R"
    )


def test_reasons_lose_invisible_characters_and_refuse_bad_bytes(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    inspector = bearer(db, make_user(db, "inspector", "EX-P"))
    response = client.post(
        f"/api/v1/ballots/{receipts[0]}/exclusion",
        json={"reason": "Phiếu\u200b thử \u202enghiệm\u2066 lại"},
        headers=inspector,
    )
    assert response.status_code == 201, response.text
    [reason] = db.exec(select(Exclusion.reason)).all()
    assert reason == "Phiếu thử nghiệm lại"
    bad = client.post(
        f"/api/v1/ballots/{receipts[1]}/exclusion",
        json={"reason": "Lý do \ufffd\ufffd sai mã"},
        headers=inspector,
    )
    assert bad.status_code == 422


def test_session_needs_csrf_and_logins_are_logged(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    csrf = sign_in(client, make_user(db, "admin"))
    url = f"/api/v1/ballots/{receipts[1]}/exclusion"
    assert client.post(url, json={"reason": "Trùng lặp phiếu"}).status_code == 403
    ok = client.post(url, json={"reason": "Trùng lặp phiếu"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert "login" in [e.action for e in db.exec(select(AuditEvent)).all()]
    assert date(2026, 5, 4)  # the period the ballots were stored in


def test_audit_log_page(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    _setup(db, registered)
    sign_in(client, make_user(db, "officer", "EX-A"))
    assert client.get("/staff/audit").status_code == 403
    client.cookies.clear()
    inspector = make_user(db, "inspector")
    sign_in(client, inspector)
    page = client.get("/staff/audit")
    assert page.status_code == 200
    assert inspector.username in page.text
    assert "login" in page.text
