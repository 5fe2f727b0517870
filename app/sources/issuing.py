"""Who may issue integrations and devices, and announcing what a counter serves."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from sqlmodel import Session

from app.auth.scope import visible
from app.core.errors import Forbidden, InvalidInput, NotFound
from app.models import User
from app.offices.service import counters_of, get_by_code
from app.offices.tree import load_tree
from app.sources import service
from app.sources.device_keys import secret_text
from app.sources.links import Keys, check_dossier_code


class Issued(BaseModel):
    id: int
    name: str
    office: str
    kind: str
    token: str = Field(description="Shown once; stored only as its hash")
    url: str | None = Field(default=None, description="A device's page (counter screen, display)")


def device_url(public_url: str, token: str, secret: bytes | None = None) -> str:
    """A device's page; with the device's own secret in the fragment, which the browser keeps
    to itself (``static/js/device-keys.js``) and never sends to a server."""
    url = f"{public_url}/device/{token}"
    return f"{url}#k={secret_text(secret)}" if secret else url


def device_secret(keys: Keys, device_id: int, salt: str | None) -> bytes | None:
    return keys.device_secret(device_id, salt) if salt else None


def may_issue(session: Session, user: User, office_code: str) -> None:
    """Admins, and inspectors for their sub-tree: people who are not graded on the ratings
    these credentials let in. Officers never (they could rate themselves through them)."""
    if user.role not in ("admin", "inspector"):
        raise Forbidden(
            "Only admins and inspectors may issue integrations and devices",
            message_vi="Chỉ quản trị viên và cán bộ kiểm tra được cấp thiết bị và kết nối.",
        )
    office = get_by_code(session, office_code)
    ids = visible(load_tree(session), user)
    if ids is not None and office.id not in ids:
        raise NotFound(f"No office with code {office_code!r}")


def issue_integration(
    session: Session, user: User, name: str, office_code: str, public_key: str | None
) -> Issued:
    may_issue(session, user, office_code)
    token, row = service.add_integration(
        session, name, office_code, public_key=public_key, by=user.username
    )
    return Issued(
        id=row.id or 0, name=row.name, office=office_code, kind="integration", token=token
    )


def issue_device(
    session: Session,
    user: User,
    keys: Keys,
    public_url: str,
    name: str,
    office_code: str,
    kind: str,
    counter: int | None,
) -> Issued:
    may_issue(session, user, office_code)
    token, row = service.add_device(session, name, office_code, kind, counter, by=user.username)
    return Issued(
        id=row.id or 0,
        name=row.name,
        office=office_code,
        kind=kind,
        token=token,
        url=device_url(public_url, token, device_secret(keys, row.id or 0, row.secret_salt)),
    )


def announce_counter(
    session: Session,
    keys: Keys,
    integration: service.Credential,
    office_code: str,
    counter: int,
    *,
    dossier_code: str | None,
    officer_code: str | None,
    officer_name: str | None,
) -> timedelta:
    office = service.scoped_office(session, integration, office_code)
    if counter not in {c.number for c in counters_of(session, office)}:
        raise InvalidInput(f"office {office.code} has no counter {counter}")
    code_hash = None
    if dossier_code is not None:
        try:
            check_dossier_code(dossier_code)
        except ValueError as exc:
            raise InvalidInput(f"dossier code: {exc}") from exc
        code_hash = keys.dossier_hash(office.id or 0, dossier_code)
    service.announce(
        session,
        integration,
        office.id or 0,
        counter,
        code_hash=code_hash,
        officer_code=officer_code,
        officer_name=officer_name,
    )
    return timedelta(minutes=service.SERVING_MINUTES)
