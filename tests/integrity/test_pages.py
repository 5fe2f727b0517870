"""The ballots page: inspectors exclude and reinstate from it (with and without htmx), officers
see the list without the buttons and are refused if they post anyway."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEvent, Exclusion
from app.responses.service import format_receipt
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_user, sign_in
from tests.integrity.test_exclusions import SUMMARY, _setup

PAGE = "/staff/offices/EX-A/ballots?from=2026-05-01&to=2026-05-31"
HTMX = {"HX-Request": "true"}


def test_inspector_excludes_from_the_page(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    csrf = sign_in(client, make_user(db, "inspector", "EX-P"))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert all(r in page.text for r in receipts)
    assert "Loại khỏi thống kê" in page.text
    url = f"/staff/ballots/{receipts[2]}/exclusion"
    # Too short a reason: the row comes back with the message, nothing is stored.
    short = client.post(url, data={"csrf": csrf, "reason": "x", "next": PAGE}, headers=HTMX)
    assert short.status_code == 422
    assert "Xin ghi rõ lý do" in short.text
    assert f'id="ballot-{receipts[2]}"' in short.text
    assert db.exec(select(Exclusion)).all() == []
    reason = "Phiếu do cán bộ tự điền <thử>"
    row = client.post(url, data={"csrf": csrf, "reason": reason, "next": PAGE}, headers=HTMX)
    assert row.status_code == 200
    assert row.text.lstrip().startswith("<tr")
    assert "Bị loại" in row.text
    assert "&lt;thử&gt;" in row.text  # escaped
    assert "Khôi phục" in row.text
    assert client.get(SUMMARY).json()["excluded"] == 1
    again = client.post(url, data={"csrf": csrf, "reason": reason, "next": PAGE}, headers=HTMX)
    assert again.status_code == 422
    assert "đã bị loại" in again.text
    # Without JavaScript: a plain form post, then back to the list; the typed receipt form works.
    back = client.post(
        f"/staff/ballots/{format_receipt(receipts[2])}/reinstatement",
        data={"csrf": csrf, "reason": "Kiểm tra lại: hợp lệ", "next": PAGE},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert back.headers["location"] == PAGE
    assert client.get(SUMMARY).json()["excluded"] == 0
    actions = [e.action for e in db.exec(select(AuditEvent)).all()]
    assert actions.count("exclude") == 1
    assert actions.count("reinstate") == 1


def test_filters_and_paging(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    receipts = _setup(db, registered)
    csrf = sign_in(client, make_user(db, "admin"))
    client.post(
        f"/staff/ballots/{receipts[0]}/exclusion",
        data={"csrf": csrf, "reason": "Trùng lặp phiếu"},
        follow_redirects=False,
    )
    only = client.get(PAGE + "&excluded=1", headers=HTMX)
    assert receipts[0] in only.text
    assert receipts[1] not in only.text
    assert "<table" in only.text
    assert "<html" not in only.text  # the named block only
    found = client.get(PAGE + f"&receipt={format_receipt(receipts[1]).lower()}")
    assert receipts[1] in found.text
    assert receipts[0] not in found.text
    newest_first = client.get(PAGE).text
    assert newest_first.index(receipts[2]) < newest_first.index(receipts[0])
    older = client.get(PAGE + "&before=1")
    assert "Không có phiếu nào" in older.text


def test_officer_sees_no_buttons_and_cannot_post(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    csrf = sign_in(client, make_user(db, "officer", "EX-A"))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert receipts[0] in page.text
    assert "Loại khỏi thống kê" not in page.text
    refused = client.post(
        f"/staff/ballots/{receipts[0]}/exclusion",
        data={"csrf": csrf, "reason": "Không thích phiếu này"},
        headers=HTMX,
    )
    assert refused.status_code == 403
    assert db.exec(select(Exclusion)).all() == []
    assert client.get("/staff/offices/EX-B/ballots").status_code == 404


def test_redirect_stays_on_this_site(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    receipts = _setup(db, registered)
    csrf = sign_in(client, make_user(db, "inspector"))
    response = client.post(
        f"/staff/ballots/{receipts[0]}/exclusion",
        data={"csrf": csrf, "reason": "Trùng lặp phiếu", "next": "//evil.example/staff/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff"
    missing_csrf = client.post(
        f"/staff/ballots/{receipts[1]}/exclusion", data={"reason": "Trùng lặp phiếu"}
    )
    assert missing_csrf.status_code == 403
