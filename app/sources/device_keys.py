"""A device's own secret and what it makes, so that a counter screen and a kiosk keep working
while the office's network is down.

- A counter screen draws its QR itself: each window's code is RFC 6238's TOTP (HMAC-SHA-256,
  8 digits, T = Unix time // window seconds) under the screen's secret, put in a rating token
  (``tokens.SCREEN``) with the office, counter, device and window. The server recomputes it.
- A kiosk signs each rating it queues while offline (HMAC-SHA-256 of ``entry_message``), so
  the time it says the rating was cast can be believed within limits.

The secret is never stored: it is derived from the deployment's device key, the device's id
and a salt kept on its row (``Device.secret_salt``), and handed over once, in the address
fragment the CLI prints (which no server, proxy or log ever sees). Revoking the device
revokes its secret; a new salt (re-adding the device) makes a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.twofactor.hotp import HOTP

DIGITS = 8
ENTRY_LABEL = "hailong kiosk ballot v1"


def new_salt() -> str:
    return secrets.token_urlsafe(16)


def device_secret(device_key: bytes, device_id: int, salt: str) -> bytes:
    return hmac.new(device_key, f"{device_id}:{salt}".encode(), hashlib.sha256).digest()


def secret_text(secret: bytes) -> str:
    """The secret as the device keeps it (base64url, no padding)."""
    return base64.urlsafe_b64encode(secret).rstrip(b"=").decode()


def window_code(secret: bytes, window: int) -> int:
    """RFC 6238's TOTP value for time step ``window`` (HMAC-SHA-256, 8 digits)."""
    return int(HOTP(secret, DIGITS, SHA256()).generate(window))


def entry_message(
    idem: str,
    cast_ms: int,
    survey: str,
    version: int,
    answers: Mapping[str, int | None],
    comment: str | None,
) -> bytes:
    """What a kiosk signs for a queued rating: every part of it, in a form the page's script
    writes byte for byte the same (JSON of strings and integers, keys in order)."""
    fields = [
        ENTRY_LABEL,
        idem,
        cast_ms,
        survey,
        version,
        sorted((k, v) for k, v in answers.items() if v is not None),
        comment or "",
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def sign_entry(secret: bytes, message: bytes) -> str:
    mac = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def entry_signed(secret: bytes, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign_entry(secret, message), signature)
