"""A counter screen that loses the office's network keeps drawing valid QRs from its own secret
and clock; the server checks them against the screen's clock as learnt while it was online."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.core.config import get_settings
from app.sources import device_keys
from app.sources.issuing import device_secret, device_url
from app.sources.links import Keys
from app.sources.service import add_device
from tests.browser.conftest import COUNTER_QR_SECONDS, LiveServer, phone
from tests.browser.test_citizen_form import answer_all
from tests.browser.test_counter_screen import decode

pytestmark = pytest.mark.browser

HOUR_MS = 3_600_000
RFC4231_CASE_2 = (b"Jefe", b"what do ya want for nothing?")
RFC4231_CASE_2_SHA256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def _screen(live_server: LiveServer, office: str, counter: int) -> str:
    keys = Keys.from_secret(get_settings().secret_key, COUNTER_QR_SECONDS)
    with Session(live_server.engine) as session:
        token, screen = add_device(
            session, f"Màn hình quầy {counter}", office, "counter-screen", counter, by="test"
        )
        secret = device_secret(keys, screen.id or 0, screen.secret_salt)
        session.commit()
    return device_url(live_server.url, token, secret)


def _wait_on_screen(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Move the screen's paused clock on, five seconds at a time, until ``selector`` is on the
    page: what the network does (an error, a reconnection) arrives in real time, and the timers
    it sets wait for the screen's clock."""
    for _ in range(60):
        if page.locator(selector).count():
            return
        page.clock.run_for(5_000)
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} never showed on the screen")


def _rate(citizen, url: str) -> int:  # type: ignore[no-untyped-def]
    response = citizen.goto(url)
    assert response is not None
    if response.status != 200:
        return response.status
    answer_all(citizen, "Hài lòng")
    citizen.get_by_role("button", name="Gửi đánh giá").click()
    citizen.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá!").wait_for()
    return 200


def test_eight_hours_offline_the_screen_keeps_drawing_codes_that_are_taken(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer
) -> None:
    office = "E2E.27"
    address = _screen(live_server, office, 1)
    tv = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    citizen_context = phone(browser)
    try:
        page, citizen = tv.new_page(), citizen_context.new_page()
        # The screen was last online eight hours ago with a true clock: its clock is set eight
        # hours (and the minute it takes to notice the network is gone) back, and what it
        # tells the server of it is kept from the server.
        start = time.time() - 8 * 3600 - 60
        page.clock.install(time=datetime.fromtimestamp(start, UTC))
        # Its time moves only when the test moves it: where it ends is known to the second.
        page.clock.pause_at(datetime.fromtimestamp(start + 1, UTC))
        page.route("**/clock", lambda route: route.abort())
        page.goto(address)
        assert "#k=" not in page.url  # the secret left the address at once
        expect(page.locator(".screen-qr[data-window]")).to_have_count(1)
        tv.set_offline(True)
        _wait_on_screen(page, "#offline:not([hidden])")  # a mute stream is given up after 45 s
        expect(page.locator("#offline")).to_have_text("đang mất kết nối")
        seen, hour_old = set(), ""
        for hour in range(8):
            # An hour later (the timers due fire once: the QR of the hour's last window).
            page.clock.fast_forward(HOUR_MS)
            seen.add(page.locator(".screen-qr").get_attribute("data-window"))
            if hour == 6:
                hour_old = decode(page)  # drawn an hour before the end
        assert len(seen) == 8  # it kept rotating, with no network at all
        # And the seconds this test took for real: the screen's clock reads the true time.
        behind = time.time() * 1000 - page.evaluate("Date.now()")
        assert 0 < behind < 600_000
        page.clock.fast_forward(int(behind))
        expect(page.locator(".screen-qr[data-window]")).to_have_count(1)
        fresh = decode(page)
        assert fresh.startswith(f"{live_server.url}/r/")
        assert fresh != hour_old
        # The citizens' phones have 4G: the code on the screen now is taken, an hour-old one
        # (a photo passed round) is refused.
        assert _rate(citizen, fresh) == 200
        assert _rate(citizen, hour_old) == 410
        expect(citizen.locator("body")).to_contain_text("quét lại mã QR")
        assert live_server.ballots(office) == 1
        # The network comes back: the mark goes, the stream reconnects.
        tv.set_offline(False)
        _wait_on_screen(page, "#offline[hidden]")
    finally:
        citizen_context.close()
        tv.close()


@pytest.mark.parametrize(("office", "skew_minutes"), [("E2E.28", 2), ("E2E.29", -2)])
def test_a_screen_clock_two_minutes_off_is_learnt_while_online(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, office: str, skew_minutes: int
) -> None:
    address = _screen(live_server, office, 1)
    tv = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    citizen_context = phone(browser)
    try:
        page, citizen = tv.new_page(), citizen_context.new_page()
        page.clock.install(time=datetime.fromtimestamp(time.time() + skew_minutes * 60, UTC))
        with page.expect_response("**/clock") as told:
            page.goto(address)
        assert told.value.status == 204
        url = decode(page)
        expect(page.locator("[data-screen][data-live]")).to_have_count(1)
        assert _rate(citizen, url) == 200
        assert live_server.ballots(office) == 1
        # Online, the screen that draws its own QR still thanks the citizen who used it.
        expect(page.locator("#thanks")).to_be_visible(timeout=5000)
    finally:
        citizen_context.close()
        tv.close()


def test_the_page_computes_what_the_server_computes(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    """The screen's plain-JavaScript HMAC and TOTP, against RFC 4231 and RFC 6238's vectors."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/static/js/device-keys.js")
        page.add_script_tag(url=f"{live_server.url}/static/js/device-keys.js")
        mac = page.evaluate(
            """([key, msg]) => Array.from(hailongKeys.hmac(hailongKeys.utf8(key),
                 hailongKeys.utf8(msg))).map(b => b.toString(16).padStart(2, "0")).join("")""",
            [RFC4231_CASE_2[0].decode(), RFC4231_CASE_2[1].decode()],
        )
        assert mac == RFC4231_CASE_2_SHA256
        from tests.sources.test_screen_codes import RFC6238_SEED, RFC6238_SHA256

        for at, code in RFC6238_SHA256:
            got = page.evaluate(
                "([seed, t]) => hailongKeys.hotp(hailongKeys.utf8(seed), Math.floor(t / 30))",
                [RFC6238_SEED.decode(), at],
            )
            assert got == code == device_keys.window_code(RFC6238_SEED, at // 30)
        long_key = bytes(range(131))  # longer than a block: hashed first, as RFC 2104 says
        got_long = page.evaluate(
            "k => hailongKeys.toB64url(hailongKeys.hmac(new Uint8Array(k), hailongKeys.utf8('x')))",
            list(long_key),
        )
        assert got_long == device_keys.sign_entry(long_key, b"x")
    finally:
        context.close()
