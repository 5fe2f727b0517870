"""The ballots page: inspectors exclude and reinstate from it (with and without htmx), officers
see the list without the buttons and are refused if they post anyway."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.receipts import format_receipt
from app.models import AuditEvent, Exclusion
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
    assert client.get("/staff/offices/EX-B/ballots").status_code == 403


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


def test_ballots_are_listed_by_their_time_not_their_arrival(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    import re
    import uuid
    from datetime import datetime

    from app.ballots.service import submit
    from app.ballots.validation import Submission
    from app.core.locale import VN_TZ
    from tests.factories import make_office, six_answers

    make_office(db, registered, code="ORD", kind="province")
    make_office(db, registered, code="ORD.1", parent="ORD")
    # Stored in this order, dated otherwise (demo data and imports do this); two share a time.
    days = [3, 9, 1, 9, 5]
    receipts = []
    for day in days:
        ballot, _ = submit(
            db,
            registered,
            "ORD.1",
            Submission(answers=six_answers(4)),
            channel="api",
            idempotency_key=uuid.uuid4().hex,
            strict_replay=True,
            submitted_at=datetime(2026, 5, day, 10, tzinfo=VN_TZ),
        )
        receipts.append(ballot.receipt)
    sign_in(client, make_user(db, "inspector", "ORD"))
    page = client.get("/staff/offices/ORD.1/ballots?from=2026-05-01&to=2026-05-31").text
    shown = re.findall(r'id="ballot-([0-9A-Z]{10})"', page)
    # Latest first; the two of 9 May by arrival, the later one first.
    assert shown == [receipts[3], receipts[1], receipts[4], receipts[0], receipts[2]]
    # Paging continues after the last ballot shown, in the same order.
    from datetime import date

    from app.integrity.ballot_list import browse
    from app.offices.tree import load_tree
    from app.stats.periods import date_range

    tree = load_tree(db)
    office_ids = tree.subtree(next(i for i, o in tree.offices.items() if o[0] == "ORD.1"))
    period = date_range(date(2026, 5, 1), date(2026, 5, 31))
    survey = registered.surveys["cong-chuc"]
    first = browse(db.connection(), tree, office_ids, survey, period, limit=2)
    assert [r.receipt for r in first.rows] == shown[:2]
    second = browse(db.connection(), tree, office_ids, survey, period, before=first.older, limit=2)
    assert [r.receipt for r in second.rows] == shown[2:4]
