"""The loop in a real browser: a citizen not satisfied, the inspector's answer on the cases
page, the answer on the citizen's receipt page and their verdict on it; no axe violation on
the pages along the way."""

from __future__ import annotations

import pytest

from tests.browser.conftest import LiveServer, phone, signed_in
from tests.browser.test_accessibility import _violations
from tests.browser.test_citizen_form import answer_all

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
OFFICE = "E2E.26"


def test_a_dissatisfied_citizen_reads_the_answer_and_rates_it(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer
) -> None:
    base = live_server.url
    found: list[str] = []
    citizen = phone(browser, bypass_csp=True)
    try:
        page = citizen.new_page()
        page.goto(f"{base}/s/{OFFICE}")
        answer_all(page, "Hài lòng", skip=("complies",))
        page.locator("#q-complies").get_by_text("Không hài lòng", exact=True).click()
        page.locator("#comment").fill("Máy lấy số thứ tự bị hỏng")
        page.get_by_role("button", name="Gửi đánh giá").click()
        page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        note = page.locator(".case-note").text_content() or ""
        assert "đã được chuyển tới lãnh đạo đơn vị" in note
        receipt_url = page.url
        found += _violations(page)

        desk, staff = signed_in(browser, base, f"/staff/offices/{OFFICE}/cases", bypass_csp=True)
        try:
            case = staff.locator("article.case").first
            assert "Máy lấy số thứ tự bị hỏng" in (case.text_content() or "")
            found += _violations(staff)
            case.get_by_label("Trả lời người dân").fill("Đơn vị đã thay máy lấy số mới.")
            case.get_by_role("button", name="Gửi câu trả lời").click()
            staff.get_by_text("Đã gửi câu trả lời").wait_for()
            found += _violations(staff)
        finally:
            desk.close()

        page.goto(receipt_url)
        page.get_by_text("Đơn vị đã thay máy lấy số mới.").wait_for()
        found += _violations(page)
        page.get_by_role("button", name="Hài lòng", exact=True).click()
        page.get_by_text("Ông/Bà đã đánh giá việc xử lý: Hài lòng.").wait_for()
        assert page.get_by_role("button", name="Không hài lòng").count() == 0
        # Feedback without the consent box comes back with its text and a Vietnamese reason.
        page.locator("#feedback-text").fill("Nhà vệ sinh chưa sạch")
        page.locator("#feedback-contact").fill("0912345678")
        page.get_by_role("button", name="Gửi phản ánh").click()
        page.get_by_text("chưa đánh dấu đồng ý").wait_for()
        assert page.locator("#feedback-text").input_value() == "Nhà vệ sinh chưa sạch"
        found += _violations(page)
    finally:
        citizen.close()
    assert found == []
