"""Rating tokens: compact, signed, verified without a database round trip.

A token is ``base64url(payload ‖ signature)`` (no padding). The payload is bytes:

    kind      1 byte    1 = dossier link minted by hailong (HMAC-SHA256, first 16 bytes)
                        2 = dossier link minted offline by an integration (Ed25519, 64 bytes)
                        3 = a counter screen's rotating QR drawn by the server
                            (HMAC-SHA256 with the deployment's key, first 12 bytes)
                        4 = a counter screen's rotating QR drawn by the screen itself: the
                            RFC 6238 code (HMAC-SHA256, 8 digits, as a 4-byte number) of the
                            window under the screen's own secret (``device_keys.py``)
    kinds 1 and 2:
      issuer    varint  the integration's id (0: hailong itself)
      issued    varint  the day it was issued, in days since 2024-01-01 (Vietnam's calendar)
      valid     varint  for how many days after ``issued`` it may be used
      counter   varint  the counter (0: none)
      office    str     the office's code
      dossier   str     the dossier code (mã hồ sơ)
      officer   str     the receiving officer's staff code ("" if unknown)
    kinds 3 and 4:
      office    str; counter varint; device varint (the screen showing it);
      window    varint  (Unix time // window seconds, by the clock of whoever drew it)

``str`` is one length byte then UTF-8 (at most 64 bytes); ``varint`` is unsigned LEB128. An
Ed25519 link for a typical office and dossier code is about 110 bytes, a URL of about 180
characters: a QR of version 9–10 at level M, which a cheap phone reads from a printed slip.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

EPOCH = date(2024, 1, 1)
LINK_HMAC = 1
LINK_ED25519 = 2
COUNTER = 3
SCREEN = 4
MAC_SIZES = {LINK_HMAC: 16, LINK_ED25519: 64, COUNTER: 12, SCREEN: 4}
MAX_TOKEN = 400  # characters; anything longer is not a token of ours
MAX_FIELD = 64


class BadToken(ValueError):
    """Not a token hailong or an integration could have made (malformed, or the signature fails)."""


@dataclass(frozen=True)
class LinkClaims:
    kind: int
    issuer: int  # integration id, 0 for hailong
    issued: date
    valid_days: int
    counter: int | None
    office: str
    dossier: str
    officer: str | None

    @property
    def expires(self) -> date:
        """The last day it may be used."""
        return self.issued + timedelta(days=self.valid_days)


@dataclass(frozen=True)
class CounterClaims:
    office: str
    counter: int
    device: int
    window: int
    kind: int = COUNTER  # or SCREEN: drawn by the screen with its own secret


@dataclass(frozen=True)
class Unverified:
    """A decoded token whose signature is still to be checked (the key may be an
    integration's, looked up by ``issuer``)."""

    kind: int
    payload: bytes
    mac: bytes
    claims: LinkClaims | CounterClaims


def derive(secret: str, label: str) -> bytes:
    """A key of its own for each use of the one application secret."""
    return hmac.new(secret.encode(), f"hailong/{label}".encode(), hashlib.sha256).digest()


def keyed_hash(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()


# -- encoding ---------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    if n < 0:
        raise ValueError("varints are unsigned")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _text(value: str) -> bytes:
    raw = value.encode()
    if len(raw) > MAX_FIELD:
        raise ValueError(f"{value[:20]!r}…: at most {MAX_FIELD} bytes")
    return bytes([len(raw)]) + raw


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def varint(self) -> int:
        n, shift = 0, 0
        while True:
            if self.at >= len(self.data) or shift > 35:
                raise BadToken("truncated number")
            byte = self.data[self.at]
            self.at += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return n

    def text(self) -> str:
        if self.at >= len(self.data):
            raise BadToken("truncated text")
        size = self.data[self.at]
        raw = self.data[self.at + 1 : self.at + 1 + size]
        if len(raw) != size or size > MAX_FIELD:
            raise BadToken("truncated text")
        self.at += 1 + size
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise BadToken("text is not UTF-8") from exc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def link_payload(claims: LinkClaims) -> bytes:
    return b"".join(
        [
            bytes([claims.kind]),
            _varint(claims.issuer),
            _varint((claims.issued - EPOCH).days),
            _varint(claims.valid_days),
            _varint(claims.counter or 0),
            _text(claims.office),
            _text(claims.dossier),
            _text(claims.officer or ""),
        ]
    )


def counter_payload(claims: CounterClaims) -> bytes:
    return b"".join(
        [
            bytes([claims.kind]),
            _text(claims.office),
            _varint(claims.counter),
            _varint(claims.device),
            _varint(claims.window),
        ]
    )


def with_code(payload: bytes, code: int) -> str:
    """A screen's token: its payload and the window's code (``SCREEN``)."""
    return _b64(payload + code.to_bytes(MAC_SIZES[SCREEN], "big"))


def code_of(token: Unverified) -> int:
    return int.from_bytes(token.mac, "big")


def sign_hmac(key: bytes, payload: bytes) -> str:
    kind = payload[0]
    mac = hmac.new(key, payload, hashlib.sha256).digest()[: MAC_SIZES[kind]]
    return _b64(payload + mac)


def sign_ed25519(private_key: Ed25519PrivateKey, payload: bytes) -> str:
    return _b64(payload + private_key.sign(payload))


# -- decoding ---------------------------------------------------------------------------------


def decode(token: str) -> Unverified:
    """Parse a token; raises ``BadToken``. The signature is checked by ``check_hmac`` or
    ``check_ed25519``."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        raise BadToken("not a token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadToken("not base64url") from exc
    if not raw or raw[0] not in MAC_SIZES:
        raise BadToken("unknown kind")
    kind = raw[0]
    size = MAC_SIZES[kind]
    if len(raw) <= size + 1:
        raise BadToken("too short")
    payload, mac = raw[:-size], raw[-size:]
    reader = _Reader(payload)
    reader.at = 1
    claims: LinkClaims | CounterClaims
    if kind in (COUNTER, SCREEN):
        office = reader.text()
        counter, device, window = reader.varint(), reader.varint(), reader.varint()
        claims = CounterClaims(
            office=office, counter=counter, device=device, window=window, kind=kind
        )
    else:
        issuer, issued, valid, counter = (reader.varint() for _ in range(4))
        if issued > 50_000 or valid > 50_000:
            raise BadToken("date out of range")
        office, dossier, officer = reader.text(), reader.text(), reader.text()
        claims = LinkClaims(
            kind=kind,
            issuer=issuer,
            issued=EPOCH + timedelta(days=issued),
            valid_days=valid,
            counter=counter or None,
            office=office,
            dossier=dossier,
            officer=officer or None,
        )
    if reader.at != len(payload):
        raise BadToken("trailing bytes")
    return Unverified(kind=kind, payload=payload, mac=mac, claims=claims)


def check_hmac(key: bytes, token: Unverified) -> None:
    expected = hmac.new(key, token.payload, hashlib.sha256).digest()[: len(token.mac)]
    if not hmac.compare_digest(expected, token.mac):
        raise BadToken("signature does not match")


def check_ed25519(public_key: bytes, token: Unverified) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(token.mac, token.payload)
    except (InvalidSignature, ValueError) as exc:
        raise BadToken("signature does not match") from exc
