"""The citizen form on a flaky connection, and on a kiosk: the citizen always knows whether the
rating went through, a retry never counts twice, and a kiosk hands the next person a clean form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.sources.service import add_device
from tests.browser.conftest import (
    KIOSK_IDLE_SECONDS,
    KIOSK_PROMPT_SECONDS,
    LiveServer,
    phone,
)
from tests.browser.test_citizen_form import answer_all
from tests.factories import SIX

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
SEND = "Gửi đánh giá"
FAILED = "Chưa gửi được đánh giá"


def _form(browser, live_server: LiveServer, office: str):  # type: ignore[no-untyped-def]
    context = phone(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{office}")
    answer_all(page, "Hài lòng")
    return context, page


def test_no_network_keeps_the_answers_and_send_again_stores_one(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer
) -> None:
    office = "E2E.16"
    context, page = _form(browser, live_server, office)
    try:
        held = []
        page.route(re.compile(rf"/s/{re.escape(office)}$"), lambda route: held.append(route))
        page.get_by_role("button", name=SEND).click()
        # While it is on its way: said so, and it cannot be sent twice.
        sending = page.get_by_role("button", name="Đang gửi…")
        expect(sending).to_be_disabled()
        held[0].abort("internetdisconnected")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text(FAILED)
        expect(alert).to_contain_text("mất kết nối")
        expect(page.get_by_role("button", name=SEND)).to_be_enabled()
        for key in SIX:  # every answer is still there
            expect(page.locator(f"#q-{key} input:checked")).to_have_count(1)
        assert live_server.ballots(office) == 0
        page.unroute(re.compile(rf"/s/{re.escape(office)}$"))
        page.get_by_role("button", name="Gửi lại").click()
        page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        assert live_server.ballots(office) == 1
    finally:
        context.close()


def test_an_answer_lost_on_the_way_back_is_not_counted_twice(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer
) -> None:
    office = "E2E.17"
    context, page = _form(browser, live_server, office)
    try:
        pattern = re.compile(rf"/s/{re.escape(office)}$")

        def stored_then_lost(route) -> None:  # type: ignore[no-untyped-def]
            route.fetch()  # the server stores the ballot; its answer never reaches the phone
            route.abort("connectionreset")

        page.route(pattern, stored_then_lost)
        page.get_by_role("button", name=SEND).click()
        expect(page.get_by_role("alert")).to_contain_text(FAILED)
        assert live_server.ballots(office) == 1
        page.unroute(pattern)
        page.get_by_role("button", name="Gửi lại").click()
        page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        expect(page.get_by_text("đã được ghi nhận trước đó")).to_be_visible()
        assert live_server.ballots(office) == 1  # the same key: the same ballot
    finally:
        context.close()


def test_a_busy_server_is_said_in_plain_words(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.18"
    context, page = _form(browser, live_server, office)
    try:
        pattern = re.compile(rf"/s/{re.escape(office)}$")
        page.route(pattern, lambda route: route.fulfill(status=503, body="Service Unavailable"))
        page.get_by_role("button", name=SEND).click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Máy chủ đang bận")
        page.unroute(pattern)
        page.get_by_role("button", name="Gửi lại").click()
        page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        # The next person gets a fresh form from the thank-you page.
        page.get_by_role("link", name="Mở phiếu mới").click()
        expect(page.get_by_role("button", name=SEND)).to_be_visible()
        expect(page.locator("input:checked")).to_have_count(0)
        expect(page.get_by_text("vừa gửi đánh giá")).to_have_count(0)
        assert live_server.ballots(office) == 1
    finally:
        context.close()


def test_levels_side_by_side_on_a_small_phone(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/s/E2E.19")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360  # no sideways scrolling
        for key in SIX:
            boxes = [c.bounding_box() for c in page.locator(f"#q-{key} .choice").all()]
            assert len(boxes) == 5
            assert len({round(b["y"]) for b in boxes}) == 1, key  # one row
            assert all(b["height"] >= 44 and b["width"] >= 44 for b in boxes), boxes
            # A face beside each level's words: the scale reads without its colours.
            expect(page.locator(f"#q-{key} .choice svg.face")).to_have_count(5)
        english = page.get_by_role("link", name="English").bounding_box()
        assert english["height"] >= 44
        assert english["width"] >= 44
    finally:
        context.close()


def test_kiosk_resets_to_a_clean_form(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.20"
    with Session(live_server.engine) as session:
        token, _ = add_device(session, "Máy tính bảng sảnh", office, "kiosk", None, by="test")
        session.commit()
    tablet = browser.new_context(
        viewport={"width": 800, "height": 1280}, has_touch=True, locale="vi-VN"
    )
    try:
        page = tablet.new_page()
        page.goto(f"{live_server.url}/device/{token}")
        first_key = page.locator("input[name=idem]").get_attribute("value")
        answer_all(page, "Rất hài lòng")
        page.get_by_label("Góp ý thêm (không bắt buộc)").fill("Riêng tư của người trước")
        page.get_by_role("button", name=SEND).click()
        page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        assert page.url.endswith(f"/device/{token}")  # no receipt in the address bar
        # Nobody can keep a code from a screen about to vanish: it is not asked of them.
        assert "giữ mã này" not in page.content()
        # A few seconds later, by itself: a clean form with a new key for the next person.
        expect(page.get_by_role("button", name=SEND)).to_be_visible(timeout=15_000)
        expect(page.locator("input:checked")).to_have_count(0)
        expect(page.locator("#comment")).to_have_value("")
        assert page.locator("input[name=idem]").get_attribute("value") != first_key
        page.go_back()  # nothing of the previous person behind it
        assert "Riêng tư của người trước" not in page.content()
        assert live_server.ballots(office) == 1
    finally:
        tablet.close()


def _kiosk(browser, live_server: LiveServer, office: str):  # type: ignore[no-untyped-def]
    with Session(live_server.engine) as session:
        token, _ = add_device(session, "Máy đánh giá cửa chính", office, "kiosk", None, by="test")
        session.commit()
    tablet = browser.new_context(
        viewport={"width": 800, "height": 1280}, has_touch=True, locale="vi-VN"
    )
    page = tablet.new_page()
    page.goto(f"{live_server.url}/device/{token}")
    return tablet, page


def test_kiosk_asks_then_clears_a_form_left_half_answered(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer
) -> None:
    """Someone answers three questions and walks away: the kiosk asks whether they are still
    there (KIOSK_IDLE_SECONDS without a touch), keeps the answers for whoever says yes, and
    otherwise clears them KIOSK_PROMPT_SECONDS later, storing nothing."""
    office = "E2E.21"
    tablet, page = _kiosk(browser, live_server, office)
    try:
        first_key = page.locator("input[name=idem]").get_attribute("value")
        for question in SIX[:3]:
            page.locator(f"#q-{question}").get_by_text("Không hài lòng", exact=True).click()
        prompt = page.get_by_role("dialog", name="Ông/Bà còn tiếp tục không?")
        expect(prompt).to_be_hidden()
        expect(prompt).to_be_visible(timeout=(KIOSK_IDLE_SECONDS + 4) * 1000)
        expect(prompt).to_contain_text("Phiếu đang điền sẽ được xóa sau")
        prompt.get_by_role("button", name="Tiếp tục điền phiếu").click()
        expect(prompt).to_be_hidden()
        expect(page.locator("input:checked")).to_have_count(3)  # still theirs
        # Asked again, and this time nobody answers.
        expect(prompt).to_be_visible(timeout=(KIOSK_IDLE_SECONDS + 4) * 1000)
        expect(page.locator("input:checked")).to_have_count(
            0, timeout=(KIOSK_PROMPT_SECONDS + 4) * 1000
        )
        expect(page.get_by_role("dialog")).to_be_hidden()
        assert page.locator("input[name=idem]").get_attribute("value") != first_key
        assert live_server.ballots(office) == 0
        # A form nobody touches is left alone (nothing to clear, no question to a passer-by).
        page.wait_for_timeout((KIOSK_IDLE_SECONDS + 1) * 1000)
        expect(page.get_by_role("dialog")).to_be_hidden()
    finally:
        tablet.close()


def test_kiosk_clear_button_starts_afresh(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    tablet, page = _kiosk(browser, live_server, "E2E.21")
    try:
        page.locator(f"#q-{SIX[0]}").get_by_text("Hài lòng", exact=True).click()
        prompt = page.get_by_role("dialog", name="Ông/Bà còn tiếp tục không?")
        expect(prompt).to_be_visible(timeout=(KIOSK_IDLE_SECONDS + 4) * 1000)
        prompt.get_by_role("button", name="Xóa và bắt đầu lại").click()
        expect(page.locator("input:checked")).to_have_count(0)
        expect(prompt).to_be_hidden()
    finally:
        tablet.close()
