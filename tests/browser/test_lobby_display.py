"""The lobby display on a waiting-room TV: it fits the screen, reads from five metres, shows each
new rating by itself, and rides out a server restart without anyone touching it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.core.db import build_engine
from app.sources.service import add_device
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.browser.conftest import LiveServer, phone
from tests.browser.test_citizen_form import answer_all
from tests.conftest import fresh_database
from tests.factories import make_office
from tests.serving import free_port, serve

pytestmark = [pytest.mark.browser, pytest.mark.one_database]

# Every piece of text on the screen with the size it is drawn at, in CSS pixels; SVG text by
# its font size times the chart's scale. <title> and <desc> are not drawn.
TEXT_SIZES = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.lobby-frame *')) {
    if (['title', 'desc', 'style', 'script'].includes(el.tagName)) continue;
    if (el.closest('svg') && el.tagName !== 'text') continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el.tagName === 'text') {
      const svg = el.ownerSVGElement;
      size *= svg.getBoundingClientRect().height / svg.viewBox.baseVal.height;
    }
    out.push([el.textContent.trim().slice(0, 40), size]);
  }
  return out;
}"""


def _rate(browser, base: str, office: str) -> None:  # type: ignore[no-untyped-def]
    context = phone(browser)
    try:
        form = context.new_page()
        form.goto(f"{base}/s/{office}")
        answer_all(form, "Rất hài lòng")
        form.get_by_role("button", name="Gửi đánh giá").click()
        form.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1080p", "768p"])
def test_display_fits_reads_from_afar_and_shows_each_rating(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, size: tuple[int, int]
) -> None:
    office = "E2E.21" if size[1] == 1080 else "E2E.22"
    with Session(live_server.engine) as session:
        token, _ = add_device(session, "TV sảnh chờ", office, "display", None, by="test")
        session.commit()
    tv = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
    try:
        page = tv.new_page()
        page.goto(f"{live_server.url}/device/{token}")
        expect(page.locator(".lobby-qr svg")).to_be_visible()
        expect(page.get_by_text("Mời Ông/Bà quét mã để đánh giá")).to_be_visible()
        scroll = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert scroll == list(size)  # nothing cut off, nothing to scroll
        if size[1] == 1080:  # no text under ~28 px at 1080p
            small = [(t, s) for t, s in page.evaluate(TEXT_SIZES) if s < 27.5]
            assert small == [], small
        expect(page.locator("[data-ballots]")).to_have_text("0")
        expect(page.locator("#figures[data-connected=true]")).to_have_count(1)
        _rate(browser, live_server.url, office)
        # Pushed to the screen, no reload: the count and the share.
        expect(page.locator("[data-ballots]")).to_have_text("1", timeout=10_000)
        expect(page.locator("[data-headline]")).to_have_text("100\u00a0%")
        expect(page.get_by_text("Mới có ít lượt đánh giá")).to_be_visible()
    finally:
        tv.close()


def test_display_rides_out_a_restart(browser, backend: str, catalog: SurveyCatalog) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(backend, "lobby")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="LB.1")
        token, _ = add_device(session, "TV", "LB.1", "display", None, by="test")
        session.commit()
    engine.dispose()
    port = free_port()
    tv = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    try:
        page = tv.new_page()
        with serve(url, port=port) as base:
            page.goto(f"{base}/device/{token}")
            expect(page.locator("#figures[data-connected=true]")).to_have_count(1)
        page.wait_for_timeout(1500)  # the server is down: the screen keeps what it shows
        expect(page.locator("[data-ballots]")).to_have_text("0")
        expect(page.locator(".lobby-qr svg")).to_be_visible()
        with serve(url, port=port) as base:
            expect(page.locator("#figures[data-connected=true]")).to_have_count(1, timeout=30_000)
            _rate(browser, base, "LB.1")
            expect(page.locator("[data-ballots]")).to_have_text("1", timeout=15_000)
            assert "Đăng nhập" not in page.content()
    finally:
        tv.close()
