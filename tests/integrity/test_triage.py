"""Inspectors triage flagged ratings: clusters, what excluding one would change, the two
decisions in the audit log; officers see a count and nothing else."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.locale import VN_TZ
from app.models import AuditEvent, Ballot, Exclusion, FlagReview
from app.signals.scan import scan
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_office, make_user, rate, sign_in

DAY = datetime(2026, 10, 5, 8, 0, tzinfo=VN_TZ)  # a Monday
OCTOBER = "from=2026-10-01&to=2026-10-31"


def _summary(client: TestClient, code: str, headers: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/v1/offices/{code}/summary?{OCTOBER}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_inspector_excludes_a_cluster_with_one_reason_and_one_audit_event(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    inspector = make_user(db, "inspector", "TRI")
    csrf = sign_in(client, inspector)
    before = _summary(client, "TRI.A")
    assert before["flagged"] == 10
    assert before["ballots"] == 50
    page = client.get("/staff/offices/TRI/flags")
    assert page.status_code == 200
    assert "Một thiết bị gửi nhiều lần" in page.text
    assert "Một thiết bị gửi 10 phiếu trong ngày 05/10/2026" in page.text
    # What the unit's headline would become: 30 of 50 satisfied now, 20 of 40 without.
    what_if = re.search(r'<p class="what-if">(.*?)</p>', page.text, re.S)
    assert what_if
    assert re.search(r"<strong>60,0\s%</strong>, xếp thứ 2/2", what_if.group(1))
    assert re.search(r"<strong data-without>50,0\s%</strong>", what_if.group(1))
    key = "same-device|TRI.A|2026-10-05"
    assert f'value="{key}"' in page.text
    response = client.post(
        "/staff/offices/TRI/flags/exclusion",
        data={
            "csrf": csrf,
            "cluster": key,
            "reason": "Một điện thoại gửi 10 phiếu liền",
            "confirm": "10",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = _summary(client, "TRI.A")
    assert after["flagged"] == 0
    assert after["ballots"] == 40
    assert after["excluded"] == 10
    assert after["headline"] == pytest.approx(0.5)
    exclusions = db.exec(select(Exclusion)).all()
    assert len(exclusions) == 10
    assert {e.reason for e in exclusions} == {"Một điện thoại gửi 10 phiếu liền"}
    [event] = db.exec(select(AuditEvent).where(AuditEvent.action == "exclude_cluster")).all()
    assert event.username == inspector.username
    assert event.target == "Một thiết bị gửi nhiều lần · TRI.A · 05/10/2026: 10 phiếu"
    reviews = db.exec(select(FlagReview)).all()
    assert {r.decision for r in reviews} == {"excluded"}
    assert {r.cluster for r in reviews} == {key}
    assert "Không có phiếu nào chờ xem xét" in client.get("/staff/offices/TRI/flags").text
    # Nothing about the ballots changed: the chains still verify.
    from app.integrity.verify import verify_db

    assert verify_db(db.connection(), "TRI.A").ok


def test_reviewed_legitimate_is_recorded_and_stops_nagging_the_ballots_stay_counted(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    csrf = sign_in(client, make_user(db, "inspector"))
    response = client.post(
        "/staff/offices/TRI/flags/review",
        data={
            "csrf": csrf,
            "cluster": "same-device|TRI.A|2026-10-05",
            "reason": "Máy của quầy hướng dẫn",
            "confirm": "10",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Đã ghi nhận 10 phiếu hợp lệ." in response.text
    summary = _summary(client, "TRI.A")
    assert summary["flagged"] == 0
    assert summary["ballots"] == 50
    assert db.exec(select(Exclusion)).all() == []
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "flags_legitimate")).one()
    again = client.post(
        "/staff/offices/TRI/flags/review",
        data={
            "csrf": csrf,
            "cluster": "same-device|TRI.A|2026-10-05",
            "reason": "lần nữa",
            "confirm": "10",
        },
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 422
    assert "không còn phiếu chờ xem xét" in again.text


def test_officers_see_a_count_only_and_cannot_triage(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    officer = make_user(db, "officer", "TRI.A")
    csrf = sign_in(client, officer)
    assert client.get("/staff/offices/TRI.A/flags").status_code == 403
    for decision in ("exclusion", "review", "reinstatement"):
        response = client.post(
            f"/staff/offices/TRI.A/flags/{decision}",
            data={"csrf": csrf, "cluster": "same-device|TRI.A|2026-10-05", "reason": "không phải"},
        )
        assert response.status_code == 403
    dashboard = client.get(f"/staff/offices/TRI.A?{OCTOBER}")
    assert "Phiếu nghi vấn chờ đoàn kiểm tra xem xét: <strong>10</strong>" in dashboard.text
    assert "/flags" not in dashboard.text  # nor in the navigation: no count for the graded
    ballots = client.get(f"/staff/offices/TRI.A/ballots?{OCTOBER}").text
    assert "same-device" not in ballots
    assert _summary(client, "TRI.A")["flagged"] == 10
    assert db.exec(select(FlagReview)).all() == []
    # An inspector's export names the flags; an officer's has no such column.
    rows = client.get(f"/api/v1/exports/ballots.csv?office=TRI.A&{OCTOBER}").text
    assert "Một thiết bị gửi nhiều lần" not in rows
    assert "Phiếu nghi vấn" not in rows


def test_an_inspectors_export_names_the_flags(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    sign_in(client, make_user(db, "inspector"))
    text = client.get(f"/api/v1/exports/ballots.csv?office=TRI.A&{OCTOBER}").text
    assert text.count("Một thiết bị gửi nhiều lần (chờ xem xét)") == 10
    assert db.exec(select(Ballot)).all()  # nothing was removed


def test_answers_read_in_the_surveys_order_as_on_the_ballots_page(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """An inspector excludes ballots on what the answers column says: the flags page must show
    them in the order the survey asks them, as the ballots page does (not by question key)."""
    make_office(db, registered, code="ORD", kind="commune")
    make_office(db, registered, code="ORD.A", parent="ORD")
    survey = registered.get("cong-chuc")
    assert survey is not None
    values = dict(zip([q.key for q in survey.questions], [5, 4, 3, 2, 1, 5], strict=True))
    for n in range(6):
        rate(
            db,
            registered,
            "ORD.A",
            values,
            DAY + timedelta(minutes=9 * n),
            address="a",
            device="phone",
        )
    scan(db.connection(), since=DAY)
    sign_in(client, make_user(db, "inspector", "ORD"))
    page = client.get("/staff/offices/ORD/flags").text
    cells = re.findall(r'<td class="answers">(.*?)</td>', page, re.S)
    assert cells
    shown = re.sub(r"<[^>]+>", "", cells[0]).split()
    assert shown == ["5", "4", "3", "2", "1", "5"]
    assert f'title="Câu 1: {survey.questions[0].text_vi}"' in cells[0]
    ballots = client.get("/staff/offices/ORD.A/ballots?from=2026-10-01&to=2026-10-31").text
    row = re.search(r"<tr[^>]*>.*?</tr>", ballots.split("<tbody>", 1)[1], re.S)
    assert row
    assert re.findall(r"<td>(\d)</td>", row.group(0)) == shown
