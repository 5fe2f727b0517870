"""The keys of the signals: the form's signed time, and the random key of each day under which
addresses and device cookies are hashed.

A day's key is random, kept in the database (``signal_key``) so every worker hashes alike, and
deleted ``KEEP_DAYS`` later: from then on nobody, not even whoever holds the server's secret,
can tell which address or device a hash of that day stood for, nor link it to another day's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Connection, text

from app.core.bulk import bulk
from app.core.locale import to_local
from app.models import SignalKey

SIGNAL_KEY = SignalKey.__table__  # type: ignore[attr-defined]

KEEP_DAYS = 2
STAMP_VERSION = "1"


@dataclass(frozen=True)
class Stamp:
    served_at: datetime
    nonce: str


@lru_cache(maxsize=64)
def _keyed(key: bytes) -> hmac.HMAC:
    """An HMAC with its key already set up: copying it costs a fraction of keying a new one
    (OpenSSL 3 looks the algorithm up again for every new key)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def mac(key: bytes, message: bytes) -> bytes:
    keyed = _keyed(key).copy()
    keyed.update(message)
    return keyed.digest()


def _sign(secret: str, office_id: int, body: str) -> str:
    signature = mac(secret.encode(), f"form-time|{office_id}|{body}".encode())
    return base64.urlsafe_b64encode(signature[:16]).decode().rstrip("=")


def form_stamp(secret: str, office_id: int, now: datetime) -> str:
    """A hidden field of the form: when it was served, a nonce, and our signature over both
    and the office. It cannot be forged to look slow; a form sent twice is timed from its
    previous sending (``record.py``)."""
    body = f"{STAMP_VERSION}.{int(now.timestamp() * 1000):x}.{secrets.token_hex(8)}"
    return f"{body}.{_sign(secret, office_id, body)}"


def read_stamp(secret: str, office_id: int, text: str | None) -> Stamp | None:
    if not text or len(text) > 80:
        return None
    body, _, signature = text.rpartition(".")
    if not hmac.compare_digest(signature, _sign(secret, office_id, body)):
        return None
    version, millis, nonce = body.split(".")
    served = datetime.fromtimestamp(int(millis, 16) / 1000, UTC)
    return Stamp(served_at=served, nonce=nonce) if version == STAMP_VERSION else None


def day_of(moment: datetime) -> str:
    return to_local(moment).date().isoformat()


class DayKeys:
    """Each day's key, read (or made) on the caller's connection inside its transaction."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], bytes] = {}

    def clear(self) -> None:
        self._known.clear()

    def key(self, conn: Connection, day: str) -> bytes:
        database = conn.engine.url.render_as_string()
        found = self._known.get((database, day))
        if found is not None:
            return found
        sql = bulk(conn)
        select = f"SELECT key FROM signal_key WHERE day = {sql.mark}"  # noqa: S608
        rows = sql.fetch(conn, select, [day])
        if rows:
            # Remembered only once seen committed: a key made in a transaction that is then
            # rolled back must not outlive it here while another worker makes a different one.
            self._known = {k: v for k, v in self._known.items() if k[1] >= day} | {
                (database, day): bytes.fromhex(rows[0][0])
            }
            return self._known[(database, day)]
        sql.insert(
            conn,
            SIGNAL_KEY,
            ("day", "key"),
            [(day, secrets.token_hex(32))],
            " ON CONFLICT (day) DO NOTHING",
        )
        return bytes.fromhex(sql.fetch(conn, select, [day])[0][0])


def hashed(key: bytes, kind: str, value: str | None) -> str | None:
    if not value:
        return None
    return mac(key, f"{kind}|{value}".encode())[:16].hex()


def forget_old_keys(conn: Connection, now: datetime) -> int:
    """Delete the keys of days more than ``KEEP_DAYS`` ago; how many went."""
    oldest = day_of(now - timedelta(days=KEEP_DAYS))
    result = conn.execute(text("DELETE FROM signal_key WHERE day < :day"), {"day": oldest})
    return int(result.rowcount or 0)
