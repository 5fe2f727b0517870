"""axe-core on every hailong page, as a citizen, a counter screen, a lobby TV, a kiosk and staff
see it: no WCAG 2.1 A/AA violation anywhere. axe-core is vendored from its npm package
(``tests/browser/assets``); it does not see SVG strokes, whose contrast
``tests/dashboards/test_contrast.py`` computes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from app.sources.service import add_device
from tests.browser.conftest import LiveServer, phone, signed_in
from tests.browser.test_citizen_form import answer_all

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
AXE = (Path(__file__).parent / "assets" / "axe-core-4.14.1.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Best practices every page keeps too: one h1, one main landmark, landmarks told apart.
PRACTICES = ["page-has-heading-one", "landmark-one-main", "landmark-unique"]
OFFICE = "E2E.23"


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(content=AXE)  # the context bypasses the page's CSP for this
    found = []
    for kind, values in (("tag", TAGS), ("rule", PRACTICES)):
        found += page.evaluate(
            "([kind, values]) => axe.run(document, {runOnly: {type: kind, values: values}})"
            ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target)"
            ".join(' | ')))",
            [kind, values],
        )
    return [f"{page.url}: {v}" for v in found]


def _check(page, url: str, found: list[str]) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.wait_for_load_state("load")
    found += _violations(page)
    width = page.viewport_size["width"]
    if page.evaluate("document.documentElement.scrollWidth") > width:  # sideways scrolling
        found.append(f"{url}: wider than the {width} px screen")


def test_citizen_device_and_lobby_pages(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    with Session(live_server.engine) as session:
        screen, _ = add_device(session, "Quầy 1", OFFICE, "counter-screen", 1, by="test")
        display, _ = add_device(session, "TV", OFFICE, "display", None, by="test")
        kiosk, _ = add_device(session, "Máy tính bảng", OFFICE, "kiosk", None, by="test")
        session.commit()
    found: list[str] = []
    context = phone(browser, bypass_csp=True)
    try:
        page = context.new_page()
        for url in (f"/s/{OFFICE}", f"/s/{OFFICE}?lang=en", "/s/KHONG-CO", "/login", "/kiem-tra"):
            _check(page, base + url, found)
        page.goto(f"{base}/s/{OFFICE}")
        page.get_by_role("button", name="Gửi đánh giá").click()  # the form with its errors
        page.get_by_role("heading", name="Phiếu chưa hoàn tất").wait_for()
        found += _violations(page)
        page.route(f"{base}/s/{OFFICE}", lambda route: route.abort("internetdisconnected"))
        answer_all(page, "Hài lòng")
        page.get_by_role("button", name="Gửi đánh giá").click()  # sending failed
        page.get_by_role("heading", name="Chưa gửi được đánh giá").wait_for()
        found += _violations(page)
        page.unroute(f"{base}/s/{OFFICE}")
        page.get_by_role("button", name="Gửi lại").click()
        page.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
        found += _violations(page)  # the thank-you
        _check(page, page.url, found)  # the receipt's own page
        _check(page, f"{base}/device/{kiosk}", found)
        tv = browser.new_context(
            viewport={"width": 1920, "height": 1080}, locale="vi-VN", bypass_csp=True
        )
        try:
            screen_page = tv.new_page()
            _check(screen_page, f"{base}/device/{screen}", found)
            _check(screen_page, f"{base}/device/{display}", found)
        finally:
            tv.close()
    finally:
        context.close()
    assert found == []


def test_staff_pages(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    found: list[str] = []
    for width in (1280, 360):
        desk, page = signed_in(browser, base, "/staff", width=width, bypass_csp=True)
        try:
            _check(page, f"{base}/staff", found)
            for path in (
                f"/staff/offices/{OFFICE}",
                f"/staff/offices/{OFFICE}?period=year",
                f"/staff/offices/{OFFICE}/report",
                f"/staff/offices/{OFFICE}/children",
                f"/staff/offices/{OFFICE}/units",
                f"/staff/offices/{OFFICE}/units/report",
                f"/staff/offices/{OFFICE}/ballots",
                f"/staff/offices/{OFFICE}/flags",
                f"/staff/offices/{OFFICE}/cases",
                "/staff/audit",
            ):
                _check(page, base + path, found)
            # The charts as drawn: a dated axis in Vietnamese, a comparison of the units.
            page.goto(f"{base}/staff/offices/{OFFICE}?period=year")
            ticks = page.locator("svg.trend-chart text.tick").all_text_contents()
            assert ticks[:3] == ["Th 1", "Th 2", "Th 3"]
            assert "theo tháng" in page.locator("svg.trend-chart desc").first.text_content()
            page.goto(f"{base}/staff/offices/{OFFICE}/units")
            assert page.locator("details.comparison summary").is_visible()
        finally:
            desk.close()
    assert found == []


def test_admin_pages(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    from app.auth.service import create_user
    from app.models import UserCreate
    from tests.browser.conftest import PASSWORD

    with Session(live_server.engine) as session:
        create_user(
            session,
            UserCreate.model_construct(
                username="quantri", role="admin", office=None, password=PASSWORD
            ),
        )
        session.commit()
    found: list[str] = []
    for width in (1280, 360):
        desk, page = signed_in(
            browser, live_server.url, "/staff/outbox", "quantri",
            width=width, bypass_csp=True,
        )  # fmt: skip
        try:
            for state in ("gave_up", "waiting", "delivered"):
                _check(page, f"{live_server.url}/staff/outbox?state={state}", found)
        finally:
            desk.close()
    assert found == []
