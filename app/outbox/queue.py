"""Putting messages in the outbox, in the caller's transaction: the event and its messages are
committed together or not at all, and the same event queued twice for one receiver is stored
once (its id is the idempotency key)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Table

from app.core.bulk import any_of, bulk
from app.models import OutboxMessage, User, Webhook
from app.models.types import utcnow

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
WEBHOOK: Table = Webhook.__table__  # type: ignore[attr-defined]
USER: Table = User.__table__  # type: ignore[attr-defined]
COLUMNS = (
    "channel",
    "event_id",
    "event",
    "recipient",
    "webhook_id",
    "office_id",
    "subject",
    "body",
    "html",
    "created_at",
    "next_at",
    "attempts",
)
EVENTS = ("case.opened", "case.answered", "case.overdue", "alert")
ON_CONFLICT = " ON CONFLICT (channel, recipient, event_id) DO NOTHING"


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Event:
    """Something that happened in an office, told to whoever should hear of it."""

    name: str  # one of EVENTS, or "digest" (mail only)
    id: str  # unique per event: what receivers dedupe by
    office_id: int | None
    data: dict[str, Any]  # the webhook payload's ``data``
    at: datetime


def payload(event: Event) -> str:
    """The Standard Webhooks payload: ``type``, ``timestamp`` and ``data``."""
    body = {"type": event.name, "timestamp": event.at.isoformat(), "data": event.data}
    return json.dumps(body, ensure_ascii=False, default=str, separators=(",", ":"))


def enqueue(
    conn: Connection,
    event: Event,
    *,
    mail: Mail | None = None,
    to: Iterable[str] = (),
    path: Sequence[int] = (),
) -> None:
    """The event's mail to each address in ``to``, and its call to each webhook subscribed to
    it on an office of ``path`` (the office and its ancestors)."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    base = {
        "event_id": event.id,
        "event": event.name,
        "office_id": event.office_id,
        "created_at": now,
        "next_at": now,
        "attempts": 0,
    }
    if mail is not None:
        for address in sorted(set(to)):
            rows.append(
                {
                    **base,
                    "channel": "mail",
                    "recipient": address,
                    "webhook_id": None,
                    "subject": mail.subject,
                    "body": mail.text,
                    "html": mail.html,
                }
            )
    if path and event.name in EVENTS:
        body = payload(event)
        for webhook_id in subscribed(conn, path, event.name):
            rows.append(
                {
                    **base,
                    "channel": "webhook",
                    "recipient": f"webhook:{webhook_id}",
                    "webhook_id": webhook_id,
                    "subject": None,
                    "body": body,
                    "html": None,
                }
            )
    if rows:
        sql = bulk(conn)
        sql.insert(conn, OUTBOX, COLUMNS, [sql.row(OUTBOX, COLUMNS, r) for r in rows], ON_CONFLICT)


def subscribed(conn: Connection, path: Sequence[int], event: str) -> list[int]:
    """The live webhooks on these offices that take ``event``."""
    rows = conn.execute(
        sa.select(WEBHOOK.c.id, WEBHOOK.c.events).where(
            any_of(conn, WEBHOOK.c.office_id, path), WEBHOOK.c.revoked_at.is_(None)
        )
    )
    return sorted(row.id for row in rows if event in row.events.split(","))


def heads_of(conn: Connection, office_ids: Iterable[int]) -> dict[int, list[str]]:
    """The addresses of each office's heads (active accounts with an address)."""
    rows = conn.execute(
        sa.select(USER.c.office_id, USER.c.email).where(
            any_of(conn, USER.c.office_id, office_ids),
            USER.c.is_head.is_(True),
            USER.c.is_active.is_(True),
            USER.c.email.is_not(None),
        )
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.office_id, []).append(row.email)
    return found


def inspectors_of(conn: Connection, office_id: int | None) -> list[str]:
    """The addresses of the inspectors bound to an office (to none: the national ones)."""
    bound = USER.c.office_id.is_(None) if office_id is None else USER.c.office_id == office_id
    rows = conn.execute(
        sa.select(USER.c.email).where(
            bound,
            USER.c.role == "inspector",
            USER.c.is_active.is_(True),
            USER.c.email.is_not(None),
        )
    )
    return [row.email for row in rows]
