"""A head of unit on a 360 × 740 phone: the headline on the first screen, the trend's text
readable, the units' ranking one card per unit (no word per line, no sideways scrolling)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from app.core.locale import VN_TZ
from app.surveys.catalog import SurveyCatalog
from tests.browser.conftest import LiveServer, signed_in
from tests.factories import rate

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
OFFICE = "E2E.24"
PHONE = {"width": 360, "height": 740}
# Each text of the visible charts: its font size as drawn, in CSS pixels.
DRAWN_SIZES = """() => [...document.querySelectorAll('svg.trend-chart, svg.cmp-chart')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map(
      t => parseFloat(getComputedStyle(t).fontSize) * scale);
  })"""


@pytest.fixture(scope="module")
def rated(live_server: LiveServer, catalog: SurveyCatalog) -> None:
    now = datetime.now(VN_TZ)
    with Session(live_server.engine) as session:
        for n in range(36):  # enough to be ranked, so the units page draws its chart
            at = now - timedelta(days=n % 3, minutes=n)
            rate(session, catalog, OFFICE, 4 if n % 3 else 2, at)
        session.commit()


def test_the_headline_is_on_the_first_screen_and_the_trend_readable(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, rated: None
) -> None:
    desk, page = signed_in(browser, live_server.url, f"/staff/offices/{OFFICE}", **PHONE)
    try:
        headline = page.locator("[data-headline]").bounding_box()
        assert headline is not None
        assert headline["y"] + headline["height"] <= PHONE["height"]
        # The survey's long description is folded away until asked for.
        assert not page.get_by_text("gộp các phiếu").first.is_visible()
        sizes = page.evaluate(DRAWN_SIZES)
        assert sizes
        assert min(sizes) >= 11
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        desk.close()


def test_the_units_ranking_is_a_card_per_unit(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, rated: None
) -> None:
    desk, page = signed_in(browser, live_server.url, f"/staff/offices/{OFFICE}/units", **PHONE)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        box = page.locator(".table-scroll").first
        assert box.evaluate("el => el.scrollWidth <= el.clientWidth")
        name = page.locator("table.cards td.name").first
        lines = name.evaluate(
            "el => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)"
        )
        assert lines <= 2.2  # "Bộ phận một cửa xã Thiệu Hóa", not a word per line
        # Every figure keeps its label beside it.
        card = page.locator("table.cards tbody tr").first
        assert card.locator('td[data-label="Hài lòng trở lên"]').is_visible()
        # The comparison chart at its own width, scrolling in its box: text 11 px or more.
        assert page.locator("svg.cmp-chart").is_visible()
        sizes = page.evaluate(DRAWN_SIZES)
        assert sizes
        assert min(sizes) >= 11
    finally:
        desk.close()


def test_days_are_typed_as_vietnamese_write_them_without_javascript(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, rated: None
) -> None:
    desk, page = signed_in(
        browser, live_server.url, f"/staff/offices/{OFFICE}", java_script_enabled=False, **PHONE
    )
    try:
        page.get_by_text("Chọn ngày khác hoặc một loại phiếu").click()
        field = page.get_by_label("Từ ngày")
        assert field.get_attribute("placeholder") == "ngày/tháng/năm"
        field.fill("01/11/2026")
        page.get_by_label("đến").fill("30/11/2026")
        page.get_by_role("button", name="Xem").click()
        page.wait_for_load_state("load")
        assert page.locator(".period").first.inner_text() == "Từ 01/11/2026 đến 30/11/2026"
        assert page.get_by_label("Từ ngày").input_value() == "01/11/2026"
    finally:
        desk.close()
