"""A counter screen rides out a server restart: it keeps its QR, draws the next one once the
server is back, and thanks the next citizen, without anyone touching it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import build_engine
from app.sources import links
from app.sources.links import Keys
from app.sources.service import add_device
from app.surveys.catalog import SurveyCatalog
from app.surveys.service import register_catalog
from tests.browser.conftest import phone
from tests.browser.test_citizen_form import answer_all
from tests.conftest import fresh_database
from tests.factories import make_office
from tests.serving import free_port, serve

pytestmark = pytest.mark.browser
SECONDS = 10


def test_the_screen_survives_a_restart(browser, backend: str, catalog: SurveyCatalog) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(backend, "restart")
    engine = build_engine(url, pool_size=1)
    with Session(engine) as session:
        register_catalog(session, catalog)
        make_office(session, catalog, code="RS.1", counters=1)
        token, screen = add_device(session, "Quầy 1", "RS.1", "counter-screen", 1, by="test")
        session.commit()
        device_id = screen.id or 0
    engine.dispose()
    port, env = free_port(), {"HAILONG_COUNTER_QR_SECONDS": str(SECONDS)}
    tv = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    citizen = phone(browser)
    try:
        page = tv.new_page()
        with serve(url, env=env, port=port) as base:
            page.goto(f"{base}/device/{token}")
            expect(page.locator(".screen-qr svg")).to_be_visible()
        # The server is down: the screen keeps what it shows.
        page.wait_for_timeout(1500)
        expect(page.locator(".screen-qr svg")).to_be_visible()
        before = page.locator(".screen-qr").get_attribute("data-window")
        with serve(url, env=env, port=port) as base:
            # Back: the next window's QR appears by itself.
            expect(page.locator(f".screen-qr:not([data-window='{before}'])")).to_have_count(
                1, timeout=(SECONDS * 2 + 5) * 1000
            )
            # And the thanks still arrive (the event stream reconnected by itself): once it
            # has, a ballot is news to it (one sent before it reconnects is not).
            expect(page.locator("[data-screen][data-live]")).to_have_count(1, timeout=30_000)
            keys = Keys.from_secret(get_settings().secret_key, SECONDS)
            qr = links.mint_counter(keys, "RS.1", 1, device_id, links.counter_window(keys))
            form = citizen.new_page()
            form.goto(f"{base}/r/{qr}")
            answer_all(form, "Rất hài lòng")
            form.get_by_role("button", name="Gửi đánh giá").click()
            form.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
            expect(page.locator("#thanks")).to_be_visible(timeout=15_000)
    finally:
        citizen.close()
        tv.close()
