"""The token format: round trips, and every kind of tampering refused."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from app.sources import links, tokens
from app.sources.links import CounterQrExpired, Keys, LinkExpired, LinkRefused
from app.sources.service import Credential

KEYS = Keys.from_secret(SecretStr("a-test-secret-of-at-least-thirty-two-chars"))
OTHER = Keys.from_secret(SecretStr("another-secret-of-at-least-thirty-two-chars"))
ISSUED = date(2026, 11, 2)


def _none(_: int) -> Credential | None:
    return None


def _flip(token: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_a_minted_link_verifies_and_says_what_it_binds() -> None:
    token = links.mint_link(
        KEYS,
        "XA.THIEUHOA",
        "000.00.12.H56-261102-0001",
        counter=2,
        officer="CB017",
        issued=ISSUED,
    )
    found = links.verify(token, KEYS, _none, on=ISSUED + timedelta(days=3))
    assert (found.office_code, found.dossier, found.counter, found.officer_code) == (
        "XA.THIEUHOA",
        "000.00.12.H56-261102-0001",
        2,
        "CB017",
    )
    assert found.source == "dossier"
    assert found.expires == ISSUED + timedelta(days=30)
    assert len(links.rating_url("https://danhgia.thanhhoa.gov.vn", token)) < 150


def test_forged_altered_and_expired_links_are_refused() -> None:
    token = links.mint_link(KEYS, "XA.THIEUHOA", "HS-0001", issued=ISSUED)
    with pytest.raises(LinkRefused):  # signed with another key
        links.verify(links.mint_link(OTHER, "XA.THIEUHOA", "HS-0001", issued=ISSUED), KEYS, _none)
    for at in (1, 5, 10, 20, -1):  # any byte changed
        with pytest.raises(LinkRefused):
            links.verify(_flip(token, at), KEYS, _none, on=ISSUED)
    for broken in ("", "x", token[:-3], token + "AA", "é" * 10, "A" * 500, "!!!!"):
        with pytest.raises(LinkRefused):
            links.verify(broken, KEYS, _none, on=ISSUED)
    with pytest.raises(LinkExpired):
        links.verify(token, KEYS, _none, on=ISSUED + timedelta(days=31))
    assert links.verify(token, KEYS, _none, on=ISSUED + timedelta(days=30)).dossier == "HS-0001"


def test_offline_links_verify_with_the_integrations_public_key_only() -> None:
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    claims = tokens.LinkClaims(
        kind=tokens.LINK_ED25519,
        issuer=7,
        issued=ISSUED,
        valid_days=30,
        counter=None,
        office="XA.THIEUHOA",
        dossier="HS-0002",
        officer="CB001",
    )
    token = tokens.sign_ed25519(key, tokens.link_payload(claims))
    integration = Credential(7, "Một cửa điện tử", 1, "integration", public_key=public)
    found = links.verify(token, KEYS, lambda i: integration if i == 7 else None, on=ISSUED)
    assert found.integration == integration
    assert found.officer_code == "CB001"
    assert links.issuer_of(links.read(token)) == 7
    with pytest.raises(LinkRefused):  # revoked (or unknown) integration
        links.verify(token, KEYS, _none, on=ISSUED)
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(LinkRefused):  # signed by someone else's key
        links.verify(
            tokens.sign_ed25519(stranger, tokens.link_payload(claims)),
            KEYS,
            lambda i: integration,
            on=ISSUED,
        )
    with pytest.raises(LinkRefused):
        links.verify(_flip(token, 12), KEYS, lambda i: integration, on=ISSUED)
    with pytest.raises(links.LinkOutOfScope):
        links.in_scope(found, (99, 98))
    links.in_scope(found, (5, 1))


def test_counter_windows_last_two_windows() -> None:
    now = 1_800_000_000.0
    window = links.counter_window(KEYS, now)
    token = links.mint_counter(KEYS, "XA.THIEUHOA", 3, 12, window)
    found = links.verify(token, KEYS, _none, now=now + KEYS.counter_seconds)
    assert (found.source, found.counter, found.device) == ("counter", 3, 12)
    with pytest.raises(CounterQrExpired):  # a photo sent on: three windows later
        links.verify(token, KEYS, _none, now=now + 3 * KEYS.counter_seconds)
    with pytest.raises(LinkRefused):
        links.verify(links.mint_counter(OTHER, "XA.THIEUHOA", 3, 12, window), KEYS, _none, now=now)
    with pytest.raises(CounterQrExpired):  # minted for a future window
        links.verify(links.mint_counter(KEYS, "X", 3, 1, window + 5), KEYS, _none, now=now)
