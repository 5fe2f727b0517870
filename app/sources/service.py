"""Integrations and devices: issued by someone other than the officers being graded, each with a
token shown once and stored as its SHA-256, revocable; every issue and revocation is audited."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session, col, select

from app.audit.service import record
from app.auth.service import digest
from app.core.errors import Conflict, InvalidInput, NotFound
from app.models import CounterServing, Device, Integration, Office
from app.models.sources import DEVICE_KINDS
from app.models.types import utcnow
from app.offices.service import counters_of, get_by_code, office_path
from app.sources.device_keys import new_salt

INTEGRATION_PREFIX = "hli_"
OFFLINE_KINDS = ("counter-screen", "kiosk")
# A screen's clock offset is written again when it moved this much, or this long after.
CLOCK_STEP_MS = 1000
CLOCK_REFRESH = timedelta(minutes=10)
Holder = TypeVar("Holder", Integration, Device)
DEVICE_PREFIX = "hld_"


class DeviceNotFound(NotFound):
    code = "device_not_found"
    message_vi = (
        "Không tìm thấy thiết bị này, hoặc thiết bị đã bị thu hồi. Xin liên hệ bộ phận quản trị "
        "để được cấp lại đường dẫn."
    )


@dataclass(frozen=True)
class Credential:
    """An integration or device as a request presents it: cheap to cache."""

    id: int
    name: str
    office_id: int
    kind: str  # "integration" or a device kind
    counter: int | None = None
    public_key: bytes | None = None
    office_code: str = ""  # a device's office (a kiosk posts to its own address, not the code)
    salt: str | None = None  # a device's: makes its own secret (``device_keys.py``)


@dataclass(frozen=True)
class ScreenClock:
    """What checking a code that a counter screen drew itself needs: the makings of its secret
    and how far its clock runs ahead of the server's (None: not seen online yet)."""

    device_id: int
    office_code: str
    counter: int
    salt: str
    offset_ms: int | None


def parse_public_key(text: str) -> str:
    """An Ed25519 public key, as PEM or as its 32 raw bytes in base64: returns base64url."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise InvalidInput("the public key is not an Ed25519 key")
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "==")
            Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput(f"not an Ed25519 public key: {exc}") from exc
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key_bytes(stored: str | None) -> bytes | None:
    return base64.urlsafe_b64decode(stored + "==") if stored else None


def add_integration(
    session: Session, name: str, office_code: str, *, public_key: str | None, by: str
) -> tuple[str, Integration]:
    office = get_by_code(session, office_code)
    token = INTEGRATION_PREFIX + secrets.token_urlsafe(32)
    row = Integration(
        name=_name(name),
        office_id=office.id or 0,
        token_hash=digest(token),
        prefix=token[:10],
        public_key=parse_public_key(public_key) if public_key else None,
        created_by=by,
    )
    session.add(row)
    session.flush()
    record(session, by, "integration_add", f"{row.id} {row.name}", office_id=office.id)
    return token, row


def add_device(
    session: Session, name: str, office_code: str, kind: str, counter: int | None, *, by: str
) -> tuple[str, Device]:
    office = get_by_code(session, office_code)
    if kind not in DEVICE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(DEVICE_KINDS)}")
    if kind == "counter-screen" and counter is None:
        raise InvalidInput("a counter screen needs --counter")
    if counter is not None and counter not in {c.number for c in counters_of(session, office)}:
        raise InvalidInput(f"office {office.code} has no counter {counter}")
    token = DEVICE_PREFIX + secrets.token_urlsafe(24)
    row = Device(
        name=_name(name),
        office_id=office.id or 0,
        kind=kind,
        counter=counter,
        token_hash=digest(token),
        prefix=token[:10],
        created_by=by,
        # The screens and kiosks that work offline; a lobby display needs the network anyway.
        secret_salt=new_salt() if kind in OFFLINE_KINDS else None,
    )
    session.add(row)
    session.flush()
    record(session, by, "device_add", f"{row.id} {row.kind} {row.name}", office_id=office.id)
    return token, row


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise InvalidInput("a name of 1 to 120 characters")
    return name


def integrations(session: Session) -> Sequence[tuple[Integration, Office]]:
    return session.exec(
        select(Integration, Office)
        .join(Office, col(Office.id) == Integration.office_id)
        .order_by(col(Integration.id))
    ).all()


def devices(session: Session) -> Sequence[tuple[Device, Office]]:
    return session.exec(
        select(Device, Office)
        .join(Office, col(Office.id) == Device.office_id)
        .order_by(col(Device.id))
    ).all()


def revoke_integration(session: Session, integration_id: int, *, by: str) -> Integration:
    return _revoke(session, Integration, integration_id, "integration", by)


def revoke_device(session: Session, device_id: int, *, by: str) -> Device:
    return _revoke(session, Device, device_id, "device", by)


def _revoke(session: Session, model: type[Holder], ident: int, what: str, by: str) -> Holder:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"no {what} {ident}")
    if row.revoked_at is not None:
        raise Conflict(f"{what} {ident} is already revoked")
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()
    record(session, by, f"{what}_revoke", f"{row.id} {row.name}", office_id=row.office_id)
    return row


def credential(session: Session, token: str) -> Credential | None:
    """The live integration or device a bearer token belongs to."""
    hashed = digest(token)
    if token.startswith(INTEGRATION_PREFIX):
        found = session.exec(select(Integration).where(Integration.token_hash == hashed)).first()
        return _integration(found)
    if token.startswith(DEVICE_PREFIX):
        device = session.exec(select(Device).where(Device.token_hash == hashed)).first()
        if device is None or device.revoked_at is not None:
            return None
        office = session.get(Office, device.office_id)
        return Credential(
            device.id or 0,
            device.name,
            device.office_id,
            device.kind,
            device.counter,
            office_code=office.code if office is not None else "",
            salt=device.secret_salt,
        )
    return None


def screen_clock(session: Session, device_id: int) -> ScreenClock | None:
    """A live counter screen with a secret of its own."""
    device = session.get(Device, device_id)
    if (
        device is None
        or device.revoked_at is not None
        or device.secret_salt is None
        or device.counter is None
    ):
        return None
    office = session.get(Office, device.office_id)
    return ScreenClock(
        device_id=device_id,
        office_code=office.code if office is not None else "",
        counter=device.counter,
        salt=device.secret_salt,
        offset_ms=device.clock_offset_ms,
    )


def learn_clock(session: Session, device_id: int, screen_ms: int) -> int:
    """Note how far a screen's clock (``screen_ms``, Unix milliseconds, read as it asked) runs
    ahead of the server's; written only when it moved or is getting old, so that thousands
    of screens reporting each minute cost few writes. Returns the offset."""
    now = utcnow()
    offset = screen_ms - int(now.timestamp() * 1000)
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound("No such device")
    stale = device.clock_seen_at is None or now - device.clock_seen_at > CLOCK_REFRESH
    if stale or abs(offset - (device.clock_offset_ms or 0)) > CLOCK_STEP_MS:
        device.clock_offset_ms, device.clock_seen_at = offset, now
        session.add(device)
        session.flush()
    return offset


def integration_by_id(session: Session, integration_id: int) -> Credential | None:
    return _integration(session.get(Integration, integration_id))


def _integration(found: Integration | None) -> Credential | None:
    if found is None or found.revoked_at is not None:
        return None
    return Credential(
        found.id or 0,
        found.name,
        found.office_id,
        "integration",
        public_key=public_key_bytes(found.public_key),
    )


# -- what a counter is serving ------------------------------------------------------------------

SERVING_MINUTES = 10


@dataclass(frozen=True)
class Serving:
    """The dossier a counter was serving, as the integration announced it."""

    code_hash: str
    officer_code: str | None
    integration_id: int | None


def announce(
    session: Session,
    integration: Credential,
    office_id: int,
    counter: int,
    *,
    code_hash: str | None,
    officer_code: str | None,
    officer_name: str | None,
) -> CounterServing:
    row = session.get(CounterServing, (office_id, counter)) or CounterServing(
        office_id=office_id, counter=counter, since=utcnow()
    )
    row.code_hash = code_hash
    row.officer_code = officer_code
    row.officer_name = officer_name
    row.integration_id = integration.id
    row.since = utcnow()
    session.add(row)
    session.flush()
    return row


def serving(session: Session, office_id: int, counter: int) -> Serving | None:
    """The dossier the counter announced within the last ``SERVING_MINUTES``, if any."""
    row = session.get(CounterServing, (office_id, counter))
    if row is None or row.code_hash is None:
        return None
    if utcnow() - row.since > timedelta(minutes=SERVING_MINUTES):
        return None
    return Serving(row.code_hash, row.officer_code, row.integration_id)


def officer_on_duty(session: Session, office_id: int, counter: int) -> str | None:
    """The officer the integration last announced at the counter (shown on its screen)."""
    row = session.get(CounterServing, (office_id, counter))
    return row.officer_name if row is not None else None


def scoped_office(session: Session, integration: Credential | None, code: str) -> Office:
    """The office an integration names, in its sub-tree; out of it answers like an unknown
    office (422 on these routes), so nothing leaks."""
    office = session.exec(select(Office).where(Office.code == code)).first()
    if office is None or (
        integration is not None and integration.office_id not in office_path(session, office)
    ):
        raise InvalidInput(f"no office {code[:70]!r} among this integration's offices")
    return office
