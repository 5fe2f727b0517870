"""A kiosk that loses the office's network: ratings wait on the kiosk, survive closing the
browser, and are stored once each, with the time they were cast, when the network returns."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from sqlmodel import Session

from app.core.config import get_settings
from app.sources.issuing import device_secret, device_url
from app.sources.links import Keys
from app.sources.service import add_device
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser

OFFICE = "E2E.30"
RATINGS = 200
FILL = """level => {
  document.querySelectorAll("form#survey fieldset.q").forEach(set => {
    const choices = set.querySelectorAll("input[type=radio]");
    choices[level % choices.length].click();
  });
}"""
# Many ratings in a row inside the page, each as a citizen gives it: the choices clicked, the
# send button pressed, the thank-you waited for, "Mở phiếu mới" pressed (one round trip to the
# browser for all of them, not five for each).
MANY = (
    """async ([first, last]) => {
  const until = async test => { while (!test()) { await new Promise(r => setTimeout(r, 2)); } };
  for (let n = first; n < last; n++) {
    ("""
    + FILL
    + """)(n);
    document.querySelector("form#survey button.submit[type=submit]").click();
    await until(() => document.querySelector("[data-offline-thanks-shown]"));
    document.querySelector("[data-offline-thanks-shown] [data-kiosk-next]").click();
    await until(() => !document.querySelector("[data-offline-thanks-shown]"));
  }
}"""
)


def _kiosk(live_server: LiveServer) -> tuple[str, str]:
    keys = Keys.from_secret(get_settings().secret_key)
    with Session(live_server.engine) as session:
        token, kiosk = add_device(session, "Máy đánh giá sảnh", OFFICE, "kiosk", None, by="test")
        secret = device_secret(keys, kiosk.id or 0, kiosk.secret_salt)
        token_display, _ = add_device(session, "TV sảnh", OFFICE, "display", None, by="test")
        session.commit()
    return device_url(live_server.url, token, secret), f"{live_server.url}/device/{token_display}"


def _open(browser, profile: str, *, offline: bool = False):  # type: ignore[no-untyped-def]
    return browser.browser_type.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        viewport={"width": 1024, "height": 1366},
        locale="vi-VN",
        # Offline from its first moment: set after the launch, a page or the service worker
        # the profile brings back could reach the server in between.
        offline=offline,
    )


def _rate(page, level: int) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(FILL, level)
    page.get_by_role("button", name="Gửi đánh giá").click()
    thanks = page.locator("[data-offline-thanks-shown]")
    expect(thanks).to_contain_text("Cảm ơn Ông/Bà đã đánh giá!")
    thanks.get_by_role("button", name="Mở phiếu mới").click()
    expect(thanks).to_have_count(0)


def _stored(live_server: LiveServer) -> list[tuple[str, float, float | None]]:
    with live_server.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT b.idempotency_key, b.submitted_at, b.received_at FROM ballot b "
                "JOIN office o ON o.id = b.office_id WHERE o.code = :code"
            ),
            {"code": OFFICE},
        ).all()
    return [(key, _ms(cast), _ms(came) if came else None) for key, cast, came in rows]


def _ms(value: object) -> float:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def test_two_hundred_ratings_taken_offline_are_stored_once_each(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer
) -> None:
    address, lobby_address = _kiosk(live_server)
    profile = tempfile.mkdtemp(prefix="hailong-kiosk-")
    kiosk = _open(browser, profile)
    page = kiosk.pages[0] if kiosk.pages else kiosk.new_page()
    page.goto(address)
    assert "#k=" not in page.url
    # Installable: a manifest, and the form kept by the service worker.
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(f"{live_server.url}{href}")
    assert manifest.json()["display"] == "fullscreen"
    expect(page.locator("html[data-kiosk-cached]")).to_have_count(1, timeout=10_000)

    # The server cannot be reached though the kiosk thinks it is online: the rating waits.
    page.route(
        "**/device/*",
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    _rate(page, 4)
    expect(page.locator("[data-kiosk-queue] [data-waiting]")).to_have_text("1 phiếu chờ gửi")
    # Then the line is down altogether: before the block is lifted, or the kiosk's retry (a
    # second or two later) could reach the server in between, as it did once on a busy machine.
    kiosk.set_offline(True)
    page.unroute("**/device/*")
    _rate(page, 1)
    page.evaluate(MANY, [2, RATINGS])
    expect(page.locator("[data-waiting]")).to_have_text(f"{RATINGS} phiếu chờ gửi")
    assert live_server.ballots(OFFICE) == 0

    # The power goes: the browser closes, and opens again with no network.
    kiosk.close()
    kiosk = _open(browser, profile, offline=True)
    tv = None
    try:
        page = kiosk.pages[0] if kiosk.pages else kiosk.new_page()
        page.goto(address.split("#")[0])
        expect(page.get_by_role("button", name="Gửi đánh giá")).to_be_visible()
        expect(page.locator("[data-waiting]")).to_have_text(f"{RATINGS} phiếu chờ gửi")
        queued = page.evaluate("hailongKiosk.entries()")
        assert len(queued) == RATINGS
        assert len({e["idem"] for e in queued}) == RATINGS

        # A lobby display of the office (a TV on the office's network) shows the ballots as
        # they arrive. The kiosk's network returns: it sends its queue by itself.
        tv = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        lobby = tv.new_page()
        lobby.goto(lobby_address)
        expect(lobby.locator("[data-ballots]")).to_have_text("0")
        kiosk.set_offline(False)
        expect(page.locator("[data-kiosk-queue]")).to_be_hidden(timeout=60_000)
        stored = _stored(live_server)
        assert len(stored) == RATINGS
        # Each with the time it was cast on the kiosk, and the time it came.
        cast = sorted(e["cast_ms"] for e in queued)
        assert sorted(round(s[1]) for s in stored) == cast
        assert all(came is not None and came >= at for _, at, came in stored)
        expect(lobby.locator("[data-ballots]")).to_have_text(str(RATINGS), timeout=10_000)

        # The whole queue forced out three more times: nothing is stored twice.
        for _ in range(3):
            page.evaluate("list => hailongKiosk.requeue(list).then(hailongKiosk.sync)", queued)
            expect(page.locator("[data-kiosk-queue]")).to_be_hidden(timeout=30_000)
        assert live_server.ballots(OFFICE) == RATINGS

        # An entry whose time was changed after it was signed is refused, stays listed for the
        # staff with the reason, and is not sent again.
        forged = dict(queued[0], idem="forged-" + queued[0]["idem"])
        forged["body"] = dict(forged["body"], cast_at_ms=forged["body"]["cast_at_ms"] - 60_000)
        page.evaluate("list => hailongKiosk.requeue(list).then(hailongKiosk.sync)", [forged])
        refused = page.locator("[data-kiosk-queue] [data-refused]")
        expect(refused.locator("summary")).to_have_text("1 phiếu bị từ chối")
        expect(refused.locator("li")).to_contain_text("Chữ ký của phiếu không khớp")
        page.evaluate("hailongKiosk.sync()")
        expect(page.locator("[data-kiosk-queue]")).to_have_attribute("data-rejected", "1")
        assert live_server.ballots(OFFICE) == RATINGS
        refused.locator("summary").click()
        refused.get_by_role("button", name="Đã xem, xóa khỏi máy").click()
        expect(page.locator("[data-kiosk-queue]")).to_be_hidden()
    finally:
        kiosk.close()
        if tv is not None:  # its event stream would hold the server's shutdown
            tv.close()
