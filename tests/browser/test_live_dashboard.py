"""An officer keeps the dashboard open; a citizen rates from a phone; the numbers move."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, LiveServer, phone, signed_in
from tests.browser.test_citizen_form import answer_all

pytestmark = pytest.mark.browser


def test_dashboard_updates_without_reload(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.09"
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    dashboard = desk.new_page()
    dashboard.goto(f"{live_server.url}/staff/offices/{office}?period=day")
    assert "/login" in dashboard.url  # signed-out staff are sent to sign in first
    dashboard.get_by_label("Tên đăng nhập").fill("truongbophan")
    dashboard.get_by_label("Mật khẩu").fill(PASSWORD)
    dashboard.get_by_role("button", name="Đăng nhập").click()
    dashboard.wait_for_url(f"{live_server.url}/staff/offices/{office}?period=day")
    expect(dashboard.locator("[data-ballots]")).to_have_text("0")
    expect(dashboard.locator("#figures[data-connected=true]")).to_have_count(1)
    navigations: list[str] = []
    dashboard.on("framenavigated", lambda frame: navigations.append(frame.url))

    citizen = phone(browser)
    form = citizen.new_page()
    for expected in ("1", "2"):
        form.goto(f"{live_server.url}/s/{office}?new=1")
        answer_all(form, "Rất hài lòng")
        form.get_by_role("button", name="Gửi đánh giá").click()
        form.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        # Within two seconds, on the page that stayed open.
        expect(dashboard.locator("[data-ballots]")).to_have_text(expected, timeout=2000)
    expect(dashboard.locator("[data-headline]")).to_have_text("100,0\u00a0%")
    assert navigations == []  # no reload
    citizen.close()
    desk.close()


def test_two_dashboards_of_one_office_show_each_ballot_once(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer
) -> None:
    office = "E2E.15"
    path = f"/staff/offices/{office}?period=day"
    screens = [signed_in(browser, live_server.url, path) for _ in range(2)]
    fetched: list[str] = []
    for _, page in screens:
        expect(page.locator("#figures[data-connected=true]")).to_have_count(1)
        expect(page.locator("[data-ballots]")).to_have_text("0")
        # After the page has loaded, its figures come over the stream: no fetching them again.
        page.on(
            "request", lambda r: fetched.append(r.url) if r.resource_type != "eventsource" else None
        )

    citizen = phone(browser)
    form = citizen.new_page()
    for n in (1, 2, 3):
        form.goto(f"{live_server.url}/s/{office}?new=1")
        answer_all(form, "Hài lòng")
        form.locator("#comment").fill(f"Góp ý lần {n}: nhanh gọn")
        form.get_by_role("button", name="Gửi đánh giá").click()
        form.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        for _, page in screens:
            expect(page.locator("[data-ballots]")).to_have_text(str(n), timeout=3000)
            for seen in range(1, n + 1):
                expect(page.get_by_text(f"Góp ý lần {seen}: nhanh gọn")).to_have_count(1)
    assert [f for f in fetched if not f.startswith("eventsource ")] == []
    citizen.close()
    for desk, _ in screens:
        desk.close()
