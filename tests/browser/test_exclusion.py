"""An inspector takes a ballot out of the figures from the ballots page, in Chromium: the row
changes in place (htmx), a reason is required, and the office's figures say "excluded: 1"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, phone, signed_in
from tests.browser.test_citizen_form import answer_all

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_inspector_excludes_a_ballot(browser, live_server: LiveServer, javascript: bool) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.10" if javascript else "E2E.11"
    citizen = phone(browser)
    form = citizen.new_page()
    form.goto(f"{live_server.url}/s/{office}?new=1")
    answer_all(form, "Không hài lòng")
    form.get_by_role("button", name="Gửi đánh giá").click()
    form.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    citizen.close()

    path = f"/staff/offices/{office}/ballots"
    desk, page = signed_in(browser, live_server.url, path, java_script_enabled=javascript)
    row = page.locator("table.ballots tbody tr").first
    expect(row).to_contain_text("Được tính")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    row.get_by_label("Lý do").fill("Cán bộ tự điền thử")
    row.get_by_role("button", name="Loại khỏi thống kê").click()
    row = page.locator("table.ballots tbody tr").first
    expect(row).to_contain_text("Bị loại: Cán bộ tự điền thử")
    expect(row.get_by_role("button", name="Khôi phục")).to_be_visible()
    if javascript:
        assert navigations == []  # the row was redrawn in place
    page.goto(f"{live_server.url}/staff/offices/{office}?period=day")
    expect(page.locator(".headline .facts")).to_contain_text("Loại khỏi thống kê: 1")
    expect(page.locator("[data-ballots]")).to_have_text("0")
    desk.close()
