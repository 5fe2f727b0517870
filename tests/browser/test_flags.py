"""An inspector triages stuffing in Chromium: one phone rated a unit five times, the scan
flags it, the navigation shows it waiting, the inspector excludes that cluster with a reason
and a confirmation, the unit's headline changes, and a mistake is put right in one decision."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from app.core.locale import VN_TZ
from app.signals.scan import scan
from tests.browser.conftest import LiveServer, phone, signed_in
from tests.browser.test_citizen_form import answer_all

pytestmark = pytest.mark.browser
OFFICE = "E2E.14"


def _rate(context, url: str, choice: str) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(f"{url}/s/{OFFICE}?new=1")
    answer_all(page, choice)
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    page.close()


def test_inspector_excludes_a_flagged_cluster(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    started = datetime.now(VN_TZ)
    stuffer = phone(browser)
    for _ in range(5):
        _rate(stuffer, live_server.url, "Rất hài lòng")
    stuffer.close()
    for _ in range(2):
        citizen = phone(browser)
        _rate(citizen, live_server.url, "Không hài lòng")
        citizen.close()
    with live_server.engine.begin() as conn:
        assert scan(conn, since=started).get("same-device") == 5

    desk, page = signed_in(browser, live_server.url, f"/staff/offices/{OFFICE}?period=day")
    expect(page.locator("[data-ballots]")).to_have_text("7")
    expect(page.locator("[data-headline]")).to_have_text("71,4\u00a0%")
    expect(page.locator("[data-flagged]")).to_contain_text("Phiếu nghi vấn chờ đoàn kiểm tra")
    # Waiting in the navigation, with how many (this server's other tests add theirs), on every
    # staff page; for an inspector of every office, a page of them all.
    nav = page.get_by_role("navigation", name="Trang quản lý")
    waiting = nav.get_by_role("link", name=re.compile("^Phiếu nghi vấn"))
    count = waiting.locator(".count")
    expect(count).to_have_text(re.compile(r"^\d+$"))
    assert int(count.inner_text()) >= 5
    waiting.click()
    page.wait_for_url(f"{live_server.url}/staff/flags")
    key = f"same-device|{OFFICE}|{datetime.now(VN_TZ).date().isoformat()}"
    cluster = page.locator(f'article[data-cluster="{key}"]')
    expect(cluster).to_contain_text("Một thiết bị gửi 5 phiếu")
    expect(cluster.locator("[data-without]")).to_have_text("0,0\u00a0%")
    button = cluster.get_by_role("button", name="Loại 5 phiếu khỏi thống kê")
    keep = cluster.get_by_role("button", name="Đã xem xét: 5 phiếu hợp lệ")
    colour = "el => getComputedStyle(el).backgroundColor"
    assert button.evaluate(colour) != keep.evaluate(colour)  # they do not look alike
    cluster.get_by_label("Lý do loại").fill("Một điện thoại gửi 5 phiếu liền")
    button.click()  # not confirmed yet: the browser asks for the tick, nothing is sent
    expect(cluster).to_be_visible()
    cluster.get_by_label("Tôi đã xem và xác nhận loại 5 phiếu này khỏi thống kê").check()
    button.click()
    expect(page.locator("#clusters .notice")).to_have_text("Đã loại 5 phiếu khỏi thống kê.")
    expect(page.locator(f'article[data-cluster="{key}"]')).to_have_count(0)
    page.goto(f"{live_server.url}/staff/offices/{OFFICE}?period=day")
    expect(page.locator("[data-ballots]")).to_have_text("2")
    expect(page.locator("[data-headline]")).to_have_text("0,0\u00a0%")
    expect(page.locator(".headline .facts")).to_contain_text("Loại khỏi thống kê: 5")
    # Excluded by mistake: back in one decision.
    page.goto(f"{live_server.url}/staff/offices/{OFFICE}/flags")
    excluded = page.locator("article.excluded", has_text="Một thiết bị gửi nhiều lần")
    expect(nav.get_by_role("link", name=re.compile("^Phiếu nghi vấn"))).to_be_visible()
    excluded.get_by_label("Lý do khôi phục").fill("Loại nhầm: máy của quầy hướng dẫn")
    excluded.get_by_label("Tôi xác nhận đưa 5 phiếu này trở lại thống kê").check()
    excluded.get_by_role("button", name="Đưa 5 phiếu trở lại thống kê").click()
    expect(page.locator("#clusters .notice")).to_have_text("Đã đưa 5 phiếu trở lại thống kê.")
    page.goto(f"{live_server.url}/staff/offices/{OFFICE}?period=day")
    expect(page.locator("[data-ballots]")).to_have_text("7")
    desk.close()
