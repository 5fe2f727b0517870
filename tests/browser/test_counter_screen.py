"""The counter screen: a QR that a phone reads off the screen, rates through, and the screen
thanks the citizen; the QR changes each window, and an old one is refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlmodel import Session

from app.core.config import get_settings
from app.sources import links
from app.sources.links import Keys
from app.sources.service import add_device
from tests.browser.conftest import COUNTER_QR_SECONDS, LiveServer, phone
from tests.browser.test_citizen_form import answer_all

pytestmark = pytest.mark.browser


def decode(page) -> str:  # type: ignore[no-untyped-def]
    """The URL in the QR on the screen. The QR is redrawn each window (by the server's panel or
    by the screen's own script): a screenshot taken during the swap may catch none, or lose its
    element, so it is taken again."""
    png = b""
    for _ in range(10):
        try:
            png = page.locator(".screen-qr").screenshot()
        except PlaywrightError:  # the element was replaced while it was being taken
            page.wait_for_timeout(100)
            continue
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        if len(found) == 1:
            return str(found[0].text)
        page.wait_for_timeout(300)
    Path("/tmp/screen-qr.png").write_bytes(png)
    raise AssertionError("no QR code could be read off the screen")


def test_scan_the_screen_rate_and_be_thanked(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    office = "E2E.13"
    with Session(live_server.engine) as session:
        token, screen = add_device(
            session, "Màn hình quầy 1", office, "counter-screen", 1, by="test"
        )
        session.commit()
        device_id = screen.id or 0
    tv = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    citizen_context = phone(browser)
    try:
        _scan_rate_and_refuse(
            live_server, tv.new_page(), citizen_context.new_page(), token, device_id
        )
    finally:  # an open event stream would hold the server's shutdown
        citizen_context.close()
        tv.close()


def _scan_rate_and_refuse(  # type: ignore[no-untyped-def]
    live_server: LiveServer, page, citizen, token: str, device_id: int
) -> None:
    office = "E2E.13"
    page.goto(f"{live_server.url}/device/{token}")
    expect(page.locator(".screen-counter")).to_contain_text("Quầy 1")
    url = decode(page)
    assert url.startswith(f"{live_server.url}/r/")

    citizen.goto(url)
    expect(citizen.locator(".notice")).to_contain_text("ít phút")
    answer_all(citizen, "Hài lòng")
    citizen.get_by_role("button", name="Gửi đánh giá").click()
    citizen.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    expect(page.locator("#thanks")).to_be_visible(timeout=3000)
    expect(page.locator("#thanks")).to_contain_text("Cảm ơn Ông/Bà!")
    assert live_server.ballots(office) == 1

    # The QR changes by itself with the next window, without reloading the page.
    window = page.locator(".screen-qr").get_attribute("data-window")
    expect(page.locator(f".screen-qr:not([data-window='{window}'])")).to_have_count(
        1, timeout=(COUNTER_QR_SECONDS + 3) * 1000
    )
    expect(page.locator("#thanks")).to_be_hidden(timeout=10_000)  # the thanks, then the QR
    assert decode(page) != url

    # A QR from three windows ago (a photo sent to friends) is refused, and nothing is stored.
    keys = Keys.from_secret(get_settings().secret_key, COUNTER_QR_SECONDS)
    stale = links.mint_counter(keys, office, 1, device_id, links.counter_window(keys) - 3)
    response = citizen.goto(f"{live_server.url}/r/{stale}")
    assert response is not None
    assert response.status == 410
    expect(citizen.locator("body")).to_contain_text("quét lại mã QR")
    assert live_server.ballots(office) == 1
