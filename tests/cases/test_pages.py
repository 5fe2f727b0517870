"""Cases over HTTP: the API, the staff page, the citizen's receipt page."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.testclient import TestClient

from app.models import Case, Office
from app.surveys.catalog import SurveyCatalog
from tests.cases.conftest import dissatisfied, head_of
from tests.factories import bearer, form_fields, form_key, make_user, sign_in, six_answers


def _submit(client: TestClient, office: Office, value: int, comment: str = "") -> str:
    """A ballot through the citizen form; its receipt page's address."""
    idem = form_key(client.get(f"/s/{office.code}").text)
    fields = form_fields(six_answers(5, complies=value), idem=idem, comment=comment)
    response = client.post(f"/s/{office.code}", data=fields, follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"]


def test_the_loop_from_a_dissatisfied_form_to_a_rated_answer(
    client: TestClient, db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    receipt_page = _submit(client, unit, 1, "Máy lấy số thứ tự bị hỏng")
    page = client.get(receipt_page).text
    assert "Phản hồi của đơn vị" in page
    assert "Đơn vị chưa trả lời. Hạn trả lời:" in page
    case = db.exec(select(Case).where(Case.office_id == unit.id)).one()
    head = head_of(db, unit)
    api = client.post(
        f"/api/v1/cases/{case.id}/answer",
        json={"text": "Đã thay máy lấy số mới. Xin cảm ơn Ông/Bà."},
        headers=bearer(db, head),
    )
    assert api.status_code == 200, api.text
    body = api.json()
    assert {"id", "receipt", "status", "opened_at", "due_at", "answered_at", "answer"} <= set(body)
    assert body["status"] == "answered"
    page = client.get(receipt_page).text
    assert "Đã thay máy lấy số mới. Xin cảm ơn Ông/Bà." in page
    assert "Ông/Bà có hài lòng với cách đơn vị xử lý không?" in page
    rated = client.post(f"{receipt_page}/cases/{case.id}/rating", data={"satisfied": "1"})
    assert rated.status_code == 200
    assert "Ông/Bà đã đánh giá việc xử lý: Hài lòng." in rated.text
    again = client.post(f"{receipt_page}/cases/{case.id}/rating", data={"satisfied": "0"})
    assert again.status_code == 409
    assert "đã đánh giá việc xử lý phản ánh này rồi" in again.text


def test_feedback_from_the_receipt_page(
    client: TestClient, db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    receipt_page = _submit(client, unit, 5)
    assert "Gửi phản ánh, kiến nghị" in client.get(receipt_page).text
    refused = client.post(
        f"{receipt_page}/feedback", data={"text": "Chờ quá lâu", "contact": "0912345678"}
    )
    assert refused.status_code == 422
    assert "chưa đánh dấu đồng ý" in refused.text
    assert "Chờ quá lâu" in refused.text
    assert db.exec(select(Case).where(Case.office_id == unit.id)).first() is None
    sent = client.post(
        f"{receipt_page}/feedback",
        data={"text": "Chờ quá lâu", "contact": "0912345678", "consent": "1"},
    )
    assert sent.status_code == 200
    assert "Đã gửi phản ánh." in sent.text
    case = db.exec(select(Case).where(Case.office_id == unit.id)).one()
    assert (case.origin, case.contact) == ("citizen", "0912345678")


def test_the_staff_page_and_who_sees_what(
    client: TestClient, db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    dissatisfied(db, registered, unit)
    case = db.exec(select(Case).where(Case.office_id == unit.id)).one()
    officer = make_user(db, "officer", unit.code)
    sign_in(client, officer)
    page = client.get(f"/staff/offices/{unit.code}/cases")
    assert page.status_code == 200
    assert f"Phản ánh số {case.id}" in page.text
    assert case.receipt not in page.text
    assert "Gửi câu trả lời" not in page.text
    listed = client.get(f"/api/v1/offices/{unit.code}/cases").json()["cases"]
    assert [(c["id"], c["receipt"]) for c in listed] == [(case.id, None)]
    assert client.post(f"/api/v1/cases/{case.id}/answer", json={"text": "x"}).status_code == 403
    client.post("/logout", data={"csrf": sign_in(client, officer)})
    csrf = sign_in(client, head_of(db, unit))
    page = client.get(f"/staff/offices/{unit.code}/cases").text
    assert case.receipt in page
    assert "Gửi câu trả lời" in page
    answered = client.post(
        f"/staff/offices/{unit.code}/cases/{case.id}/answer",
        data={"csrf": csrf, "text": "Đã nhắc nhở cán bộ."},
        headers={"HX-Request": "true"},
    )
    assert answered.status_code == 200
    assert "Đã gửi câu trả lời" in answered.text
    empty = client.post(
        f"/staff/offices/{unit.code}/cases/{case.id}/closed",
        data={"csrf": csrf},
        headers={"HX-Request": "true"},
    )
    assert empty.status_code == 200
    assert "Đã đóng phản ánh." in empty.text
    late = client.post(
        f"/staff/offices/{unit.code}/cases/{case.id}/answer",
        data={"csrf": csrf, "text": "Thêm"},
        headers={"HX-Request": "true"},
    )
    assert late.status_code == 409
    assert "đã đóng" in late.text


def test_case_figures_in_the_summary_and_children(
    client: TestClient, db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    dissatisfied(db, registered, unit)
    inspector = make_user(db, "inspector")
    headers = bearer(db, inspector)
    query = "from=2026-11-01&to=2026-11-30"
    summary = client.get(f"/api/v1/offices/{unit.code}/summary?{query}", headers=headers).json()
    cases = summary["cases"]
    assert cases["opened"] == 1
    assert cases["answered"] == 0
    assert set(cases) >= {
        "opened",
        "answered",
        "on_time",
        "overdue",
        "handling_rated",
        "handling_satisfied",
        "on_time_ratio",
        "handling_satisfied_ratio",
    }
    parent = client.get(f"/api/v1/offices/{unit.code}/children?{query}", headers=headers)
    assert parent.status_code == 200


def test_a_head_opens_a_case_from_a_comment_on_the_ballots_page(
    client: TestClient, db: Session, registered: SurveyCatalog, unit: Office
) -> None:
    _submit(client, unit, 5, "Nên có thêm ghế ngồi chờ")
    csrf = sign_in(client, head_of(db, unit))
    page = client.get(f"/staff/offices/{unit.code}/ballots").text
    assert "Mở phản ánh" in page
    receipt = page.split('action="/staff/ballots/', 1)[1].split("/case", 1)[0]
    opened = client.post(
        f"/staff/ballots/{receipt}/case", data={"csrf": csrf}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert opened.headers["location"].startswith(f"/staff/offices/{unit.code}/cases#case-")
    case = db.exec(select(Case).where(Case.office_id == unit.id)).one()
    assert (case.origin, case.text) == ("staff", "Nên có thêm ghế ngồi chờ")
