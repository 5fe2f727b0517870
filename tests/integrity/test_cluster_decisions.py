"""Decisions on a cluster of flagged ratings: each confirmed with the number of ballots the
inspector saw, each one audit event in words; a cluster excluded by mistake goes back into
the figures as one decision; the staff navigation shows inspectors what awaits them."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit import service as audit
from app.core.locale import VN_TZ
from app.integrity import triage
from app.models import AuditEvent, Exclusion, FlagReview
from app.signals.rules import RULES
from app.surveys.catalog import SurveyCatalog
from tests.factories import make_user, sign_in
from tests.integrity.test_triage import OCTOBER, _summary

KEY = "same-device|TRI.A|2026-10-05"
PAGE = "/staff/offices/TRI/flags"
HTMX = {"HX-Request": "true"}


def _post(client: TestClient, csrf: str, decision: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf": csrf, "cluster": KEY, "reason": "Một điện thoại gửi 10 phiếu liền", **fields}
    return client.post(f"{PAGE}/{decision}", data=data, headers=HTMX)


def test_a_decision_waits_for_the_number_of_ballots_to_be_confirmed(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    csrf = sign_in(client, make_user(db, "inspector", "TRI"))
    page = client.get(PAGE).text
    assert 'name="confirm" value="10" required' in page
    assert "xác nhận loại 10 phiếu này khỏi thống kê" in page
    unticked = _post(client, csrf, "exclusion")
    assert unticked.status_code == 422
    assert "Xin đánh dấu ô xác nhận" in unticked.text
    # The inspector saw 9; the cluster holds 10 now: shown again, not decided.
    stale = _post(client, csrf, "exclusion", confirm="9")
    assert stale.status_code == 422
    assert "nay có 10 phiếu, không phải 9" in stale.text
    assert db.exec(select(Exclusion)).all() == []
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "exclude_cluster")).all() == []
    assert _post(client, csrf, "exclusion", confirm="10").status_code == 200


def test_a_cluster_excluded_by_mistake_goes_back_as_one_decision(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    inspector = make_user(db, "inspector", "TRI")
    csrf = sign_in(client, inspector)
    assert _post(client, csrf, "exclusion", confirm="10").status_code == 200
    assert _summary(client, "TRI.A")["ballots"] == 40
    page = client.get(PAGE).text
    assert "Nhóm phiếu đã loại" in page
    assert "Đưa 10 phiếu trở lại thống kê" in page
    back = _post(client, csrf, "reinstatement", reason="Loại nhầm: máy của quầy", confirm="10")
    assert back.status_code == 200, back.text
    assert "Đã đưa 10 phiếu trở lại thống kê." in back.text
    assert "Nhóm phiếu đã loại" not in back.text
    summary = _summary(client, "TRI.A")
    assert (summary["ballots"], summary["excluded"], summary["flagged"]) == (50, 0, 0)
    [event] = db.exec(select(AuditEvent).where(AuditEvent.action == "reinstate_cluster")).all()
    assert event.username == inspector.username
    assert event.reason == "Loại nhầm: máy của quầy"
    assert event.target == "Một thiết bị gửi nhiều lần · TRI.A · 05/10/2026: 10 phiếu"
    # One decision per ballot in the exclusions' history (out, then back), and the flags now
    # reviewed and legitimate.
    assert [e.excluded for e in db.exec(select(Exclusion))].count(False) == 10
    assert {r.decision for r in db.exec(select(FlagReview))} == {"legitimate"}
    again = _post(client, csrf, "reinstatement", reason="lần nữa nhé", confirm="10")
    assert again.status_code == 422
    assert "không còn phiếu nào bị loại" in again.text


def test_the_navigation_shows_inspectors_what_awaits_them(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    csrf = sign_in(client, make_user(db, "inspector", "TRI"))
    home = client.get(f"/staff/offices/TRI.B?{OCTOBER}").text
    nav = re.search(r'<nav class="topnav".*?</nav>', home, re.S)
    assert nav
    link = re.search(r'<a href="/staff/offices/TRI/flags">Phiếu nghi vấn<span[^>]*>(\d+)<', nav[0])
    assert link
    assert link[1] == "10"
    _post(client, csrf, "review", confirm="10")
    assert ">0</span>" in client.get(f"/staff/offices/TRI.B?{OCTOBER}").text


def test_the_audit_log_reads_in_words(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    csrf = sign_in(client, make_user(db, "inspector", "TRI"))
    _post(client, csrf, "exclusion", confirm="10")
    _post(client, csrf, "reinstatement", reason="Loại nhầm: máy của quầy", confirm="10")
    log = re.sub(r"<[^>]+>", " ", client.get("/staff/audit").text)  # what a person reads
    assert "Loại nhóm phiếu nghi vấn" in log
    assert "Khôi phục nhóm phiếu đã loại" in log
    assert "exclude_cluster" not in log
    assert "reinstate_cluster" not in log
    with pytest.raises(ValueError, match="no name"):
        audit.record(db, "x", "something_new")


def test_the_page_names_rules_and_numbers_in_vietnamese(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    sign_in(client, make_user(db, "inspector", "TRI"))
    page = client.get(PAGE).text
    visible = re.sub(r"<[^>]+>", " ", page)  # attributes carry the cluster's key, not the text
    assert "same-device" not in visible
    assert "Quy tắc “Một thiết bị gửi nhiều lần”" in visible
    fast = triage.Cluster(
        key="too-fast|X|2026-10-05",
        rule=RULES["too-fast"],
        office_id=1,
        office_code="X",
        office_name="X",
        day=date(2026, 10, 5),
        first=datetime(2026, 10, 5, tzinfo=VN_TZ),
        last=datetime(2026, 10, 5, tzinfo=VN_TZ),
        ballot_ids=[1],
        evidence={"seconds": 4.0, "limit": 6.0},
    )
    assert triage.explain(fast) == (
        "Điền xong sau 4,0 giây; đọc hết các câu hỏi cần ít nhất 6,0 giây."
    )
    fast.evidence = {"day": "2026-10-05", "ratings": 4, "limit": 3}
    fast.rule = RULES["same-device"]
    assert triage.explain(fast) == "Một thiết bị gửi 4 phiếu trong ngày 05/10/2026 (ngưỡng: 3)."


def test_an_inspector_of_every_office_triages_them_all_on_one_page(
    client: TestClient, db: Session, registered: SurveyCatalog, flagged: dict[str, str]
) -> None:
    csrf = sign_in(client, make_user(db, "inspector"))
    home = client.get("/staff").text
    assert re.search(r'<a href="/staff/flags">Phiếu nghi vấn<span[^>]*>10<', home)
    page = client.get("/staff/flags").text
    assert f'data-cluster="{KEY}"' in page
    assert 'action="/staff/flags/review"' in page
    done = client.post(
        "/staff/flags/review",
        data={"csrf": csrf, "cluster": KEY, "reason": "Máy của quầy hướng dẫn", "confirm": "10"},
        headers=HTMX,
    )
    assert done.status_code == 200
    assert "Đã ghi nhận 10 phiếu hợp lệ." in done.text
