"""A counter screen that draws its own QR: RFC 6238 codes under its own secret, checked by the
server against the screen's clock as learnt while it was online."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.config import get_settings
from app.models import Ballot, Device
from app.sources import device_keys, links, tokens
from app.sources.issuing import device_secret, device_url
from app.sources.links import Keys
from app.sources.service import ScreenClock, add_device, revoke_device, screen_clock
from app.surveys.catalog import SurveyCatalog
from tests.factories import form_fields, make_office, six_answers

# RFC 6238 Appendix B, the SHA-256 column: the 32-byte seed and (time, 8-digit TOTP) pairs.
RFC6238_SEED = b"12345678901234567890123456789012"
RFC6238_SHA256 = [
    (59, 46119246),
    (1111111109, 68084774),
    (1111111111, 67062674),
    (1234567890, 91819424),
    (2000000000, 90698825),
    (20000000000, 77737706),
]


def _keys() -> Keys:
    settings = get_settings()
    return Keys.from_secret(settings.secret_key, settings.counter_qr_seconds)


@pytest.mark.parametrize(("at", "code"), RFC6238_SHA256)
def test_window_codes_are_rfc6238_totp(at: int, code: int) -> None:
    assert device_keys.window_code(RFC6238_SEED, at // 30) == code


def _screen(db: Session, catalog: SurveyCatalog, code: str) -> tuple[str, Device, ScreenClock]:
    """A counter screen of a new office with two counters: its address's token, its row, and
    what the server checks its codes with."""
    make_office(db, catalog, code=code, counters=2)
    token, row = add_device(db, "Màn hình quầy 2", code, "counter-screen", 2, by="test")
    clock = screen_clock(db, row.id or 0)
    assert clock is not None
    return token, row, clock


def _post(client: TestClient, token: str) -> int:
    fields = form_fields(six_answers(5))
    return client.post(f"/r/{token}", data=fields, follow_redirects=False).status_code


def test_a_code_the_screen_drew_is_taken_within_a_window_either_side(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    _, screen, clock = _screen(db, registered, "T1")
    keys = _keys()
    assert clock.salt == screen.secret_salt
    now = links.counter_window(keys)
    for shift, status in [(-1, 303), (0, 303), (1, 303), (-2, 410), (2, 410), (-3, 410)]:
        assert _post(client, links.mint_screen(keys, clock, now + shift)) == status, shift
    ballots = db.exec(select(Ballot).where(Ballot.device_id == screen.id)).all()
    assert [(b.source, b.counter) for b in ballots] == [("counter", 2)] * 3
    # Its form opens as a counter QR's does.
    page = client.get(f"/r/{links.mint_screen(keys, clock, now)}")
    assert page.status_code == 200
    assert "ít phút" in page.text


def test_the_server_learns_a_screen_clock_that_runs_minutes_off(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    token, screen, clock = _screen(db, registered, "T2")
    keys = _keys()
    ahead = 150_000  # the screen's clock runs 2½ minutes ahead
    drawn = links.counter_window(keys, time.time() + ahead / 1000)
    assert _post(client, links.mint_screen(keys, clock, drawn)) == 410  # not learnt yet
    told = client.post(f"/device/{token}/clock", data={"t": str(int(time.time() * 1000) + ahead)})
    assert told.status_code == 204
    assert abs(int(told.headers["x-clock-offset"]) - ahead) < 2000
    db.refresh(screen)
    assert screen.clock_offset_ms is not None
    assert abs(screen.clock_offset_ms - ahead) < 2000
    assert _post(client, links.mint_screen(keys, clock, drawn)) == 303
    behind = -120_000  # later it runs 2 minutes behind: learnt again
    client.post(f"/device/{token}/clock", data={"t": str(int(time.time() * 1000) + behind)})
    drawn = links.counter_window(keys, time.time() + behind / 1000)
    assert _post(client, links.mint_screen(keys, clock, drawn)) == 303


def test_forged_replayed_and_revoked_codes_are_refused(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    token, screen, clock = _screen(db, registered, "T3")
    other_token, other = add_device(db, "Quầy 1", "T3", "counter-screen", 1, by="test")
    keys = _keys()
    window = links.counter_window(keys)
    good = links.mint_screen(keys, clock, window)
    found = tokens.decode(good)
    claims = found.claims
    assert isinstance(claims, tokens.CounterClaims)
    # Another code for the same window, another counter, another screen's id under this code.
    wrong_code = tokens.with_code(found.payload, (tokens.code_of(found) + 1) % 10**8)
    other_counter = tokens.with_code(
        tokens.counter_payload(
            tokens.CounterClaims("T3", 1, screen.id or 0, window, kind=tokens.SCREEN)
        ),
        tokens.code_of(found),
    )
    borrowed = tokens.with_code(
        tokens.counter_payload(
            tokens.CounterClaims("T3", 1, other.id or 0, window, kind=tokens.SCREEN)
        ),
        tokens.code_of(found),
    )
    for forged in (wrong_code, other_counter, borrowed):
        assert _post(client, forged) == 400
        assert "không hợp lệ" in client.get(f"/r/{forged}").text
    assert _post(client, good) == 303
    # The same code again is another citizen at the counter, limited per sender as before.
    assert _post(client, good) == 303
    revoke_device(db, screen.id or 0, by="test")
    assert _post(client, good) == 400
    assert client.post(f"/device/{token}/clock", data={"t": "1"}).status_code == 404
    assert len(db.exec(select(Ballot).where(Ballot.office_id == screen.office_id)).all()) == 2
    assert other_token  # the other screen is untouched


def test_the_secret_is_handed_over_once_in_the_fragment(
    db: Session, registered: SurveyCatalog
) -> None:
    token, screen, _ = _screen(db, registered, "T4")
    keys = _keys()
    url = device_url(
        "https://hl.example", token, device_secret(keys, screen.id or 0, screen.secret_salt)
    )
    address, fragment = url.split("#k=")
    assert address == f"https://hl.example/device/{token}"
    secret = keys.device_secret(screen.id or 0, screen.secret_salt or "")
    assert fragment == device_keys.secret_text(secret)
    assert len(fragment) == 43
    # Displays draw nothing offline: no secret; kiosks sign their queue: one of their own.
    _, display = add_device(db, "TV", "T4", "display", None, by="test")
    _, kiosk = add_device(db, "Máy", "T4", "kiosk", None, by="test")
    assert display.secret_salt is None
    assert kiosk.secret_salt is not None
    assert device_url("https://hl.example", token, None) == address


def test_a_fresh_code_keeps_the_limits_of_one_sender(
    limited: FastAPI, db: Session, registered: SurveyCatalog
) -> None:
    _, screen, clock = _screen(db, registered, "T5")
    keys = _keys()
    token = links.mint_screen(keys, clock, links.counter_window(keys))
    with TestClient(limited, raise_server_exceptions=False) as phone:
        phone.get(f"/r/{token}")  # the device cookie
        sent = [_post(phone, token) for _ in range(4)]
    assert sent == [303, 303, 303, 429]  # as for the open QR: 3 per phone in these tests
    assert len(db.exec(select(Ballot).where(Ballot.device_id == screen.id)).all()) == 3


def test_a_clock_that_is_nonsense_is_refused_or_kept_without_harm(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    token, screen, _ = _screen(db, registered, "T6")
    url = f"/device/{token}/clock"
    for bad in ("abc", "-5", str(2**60), ""):
        assert client.post(url, data={"t": bad}).status_code in (400, 422), bad
    # A screen whose clock says 1970: decades off, kept as it is (a 64-bit offset).
    assert client.post(url, data={"t": "0"}).status_code == 204
    db.refresh(screen)
    assert screen.clock_offset_ms is not None
    assert screen.clock_offset_ms < -1_700_000_000_000
    display_token, _ = add_device(db, "TV", "T6", "display", None, by="test")
    assert client.post(f"/device/{display_token}/clock", data={"t": "1"}).status_code == 404
