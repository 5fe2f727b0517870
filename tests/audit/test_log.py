"""The audit log: who did what, when and why; inspectors read and export it within their scope,
officers cannot; the export is logged too."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.models import AuditEvent
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, login_form, make_office, make_user, sign_in


def _events(client: TestClient, db: Session, catalog: SurveyCatalog) -> tuple[str, str]:
    """Two provinces, each with a unit; an export in each, a login in one."""
    for province in ("AU-P", "AU-Q"):
        make_office(db, catalog, code=province, kind="province")
        make_office(db, catalog, code=f"{province}1", parent=province)
    admin = bearer(db, make_user(db, "admin"))
    for code in ("AU-P1", "AU-Q1"):
        url = f"/api/v1/exports/summary.csv?office={code}&from=2026-05-01&to=2026-05-31"
        assert client.get(url, headers=admin).status_code == 200
    officer = make_user(db, "officer", "AU-P1")
    sign_in(client, officer)
    client.cookies.clear()
    return officer.username, "AU-P1"


def test_page_filters_and_scope(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    officer, _ = _events(client, db, registered)
    sign_in(client, make_user(db, "officer", "AU-P1"))
    assert client.get("/staff/audit").status_code == 403
    assert "/staff/audit" not in client.get("/staff").text
    client.cookies.clear()
    sign_in(client, make_user(db, "inspector", "AU-P"))
    home = client.get("/staff").text
    assert 'href="/staff/audit"' in home
    assert "/staff/offices/AU-P/units" in home
    page = client.get("/staff/audit").text
    assert "summary AU-P1 2026-05-01..2026-05-31 (csv)" in page
    assert "AU-Q1" not in page  # another province's events
    assert officer in page  # the login of an account of this province
    exports = client.get("/staff/audit?action=export", headers={"HX-Request": "true"}).text
    assert "<html" not in exports
    assert officer not in exports
    assert "Xuất dữ liệu" in exports
    by_user = client.get(f"/staff/audit?username={officer}").text
    assert "AU-P1 2026-05-01" not in by_user
    assert client.get("/staff/audit?from=2020-01-01&to=2020-01-31").text.count("<tr>") == 2


def test_export_reads_back(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    officer, _ = _events(client, db, registered)
    client.post("/login", data=login_form(client, "=1+1", "x"))
    inspector = bearer(db, make_user(db, "inspector"))
    response = client.get("/api/v1/exports/audit.csv", headers=inspector)
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    logins = [r for r in rows if r["Mã thao tác"] == "login"]
    assert [r["Tài khoản"] for r in logins] == [officer]
    assert logins[0]["Thao tác"] == "Đăng nhập"
    assert logins[0]["Đơn vị"] == "AU-P1"
    assert logins[0]["Thời gian"].endswith("+07:00")
    failed = [r for r in rows if r["Mã thao tác"] == "login_failed"]
    assert failed[0]["Tài khoản"] == "'=1+1"  # a formula typed as a user name stays text
    workbook = client.get("/api/v1/exports/audit.xlsx?action=export", headers=inspector)
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert {r[3] for r in body} == {"export"}
    assert any(str(r[4]).startswith("audit (csv)") for r in body)  # the first export, logged
    assert sheet.cell(2, 1).is_date
    officer_token = bearer(db, make_user(db, "officer", "AU-P1"))
    assert client.get("/api/v1/exports/audit.csv", headers=officer_token).status_code == 403


def test_events_are_tied_to_their_office(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _events(client, db, registered)
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert all(e.office_id is not None for e in events)
