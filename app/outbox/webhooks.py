"""Webhooks: adding one (its secret shown once), and calling one, signed as the Standard
Webhooks spec says (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) with the
``standardwebhooks`` library."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook as Signer

from app.audit import service as audit
from app.core.errors import InvalidInput, NotFound
from app.models import Office, Webhook
from app.models.types import utcnow
from app.outbox.queue import EVENTS

TIMEOUT = 10.0


def new_secret() -> str:
    """A 32-byte key, written as the spec writes secrets: ``whsec_`` and base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def headers(secret: str, event_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(event_id, at, body),
        "content-type": "application/json",
    }


def post(url: str, secret: str, event_id: str, body: str, at: datetime | None = None) -> int:
    """Call the webhook; its HTTP status (the caller decides what counts as delivered)."""
    moment = at or utcnow()
    response = httpx.post(
        url,
        content=body.encode(),
        headers=headers(secret, event_id, moment, body),
        timeout=TIMEOUT,
        follow_redirects=False,
    )
    return response.status_code


def parse_events(text: str) -> str:
    events = [e.strip() for e in text.split(",") if e.strip()]
    unknown = sorted(set(events) - set(EVENTS))
    if not events or unknown:
        raise InvalidInput(
            f"events: some of {', '.join(EVENTS)}",
            message_vi=f"Sự kiện không hợp lệ: {', '.join(unknown) or '(trống)'}.",
        )
    return ",".join(e for e in EVENTS if e in events)


def add(
    session: Session, office: Office, url: str, events: str, by: str = "cli"
) -> tuple[Webhook, str]:
    """A new webhook for the office's sub-tree; the secret is returned here and never again."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise InvalidInput(f"not an http(s) URL: {url!r}", message_vi="Địa chỉ không hợp lệ.")
    secret = new_secret()
    hook = Webhook(
        office_id=office.id or 0, url=url, secret=secret, events=parse_events(events), created_by=by
    )
    session.add(hook)
    session.flush()
    audit.record(session, by, "webhook_add", f"{hook.id} {url}", office_id=office.id)
    return hook, secret


def revoke(session: Session, hook_id: int, by: str = "cli") -> Webhook:
    hook = session.get(Webhook, hook_id)
    if hook is None or hook.revoked_at is not None:
        raise NotFound(f"no live webhook {hook_id}")
    hook.revoked_at = utcnow()
    session.add(hook)
    audit.record(session, by, "webhook_revoke", f"{hook.id} {hook.url}", office_id=hook.office_id)
    return hook


def live(session: Session) -> list[Webhook]:
    return list(
        session.exec(
            select(Webhook).where(col(Webhook.revoked_at).is_(None)).order_by(col(Webhook.id))
        )
    )
