"""Putting messages in the outbox, in the caller's transaction: the event and its messages are
committed together or not at all, and the same event queued twice for one receiver is stored
once (its id is the idempotency key)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Table

from app.core.bulk import bulk
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


@dataclass(frozen=True)
class Hook:
    """A live webhook: the office whose sub-tree it hears of, and the events it takes."""

    id: int
    office_id: int
    events: tuple[str, ...]


def hooks_on(conn: Connection, office_ids: Iterable[int]) -> list[Hook]:
    """The live webhooks on these offices: read once for a whole batch of events. Plain SQL:
    the ballot writer asks for every batch that opens cases, and building the statement with
    SQLAlchemy cost ten times running it (measured)."""
    return ask_hooks(conn, office_ids)()


def ask_hooks(conn: Connection, office_ids: Iterable[int]) -> Callable[[], list[Hook]]:
    """``hooks_on``, asked now and read when called (``Bulk.overlapped``)."""
    sql = bulk(conn)
    match, params = sql.one_of("office_id", sorted(set(office_ids)))
    rows = sql.send(
        conn,
        f"SELECT id, office_id, events FROM webhook WHERE {match} AND revoked_at IS NULL",  # noqa: S608 - constant names
        params,
    )
    return lambda: [
        Hook(hook_id, office_id, tuple(events.split(","))) for hook_id, office_id, events in rows()
    ]


def messages(
    event: Event,
    *,
    mail: Mail | None = None,
    to: Iterable[str] = (),
    path: Sequence[int] = (),
    hooks: Sequence[Hook] = (),
) -> list[dict[str, Any]]:
    """The event's rows: its mail to each address in ``to``, and its call to each of
    ``hooks`` on an office of ``path`` (the office and its ancestors) that takes it."""
    now = utcnow()
    base = {
        "event_id": event.id,
        "event": event.name,
        "office_id": event.office_id,
        "created_at": now,
        "next_at": now,
        "attempts": 0,
    }
    rows: list[dict[str, Any]] = []
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
    on_path = set(path)
    taking = sorted(h.id for h in hooks if h.office_id in on_path and event.name in h.events)
    if taking and event.name in EVENTS:
        body = payload(event)
        for webhook_id in taking:
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
    return rows


def store(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Put ``rows`` (from ``messages``) in the outbox, in the caller's transaction."""
    if rows:
        sql = bulk(conn)
        sql.insert(conn, OUTBOX, COLUMNS, [sql.row(OUTBOX, COLUMNS, r) for r in rows], ON_CONFLICT)


def enqueue(
    conn: Connection,
    event: Event,
    *,
    mail: Mail | None = None,
    to: Iterable[str] = (),
    path: Sequence[int] = (),
) -> None:
    """One event's messages (the webhooks on ``path`` read here)."""
    hooks = hooks_on(conn, path) if path else []
    store(conn, messages(event, mail=mail, to=to, path=path, hooks=hooks))


def heads_of(conn: Connection, office_ids: Iterable[int]) -> dict[int, list[str]]:
    """The addresses of each office's heads (active accounts with an address); plain SQL for
    the ballot writer, as ``hooks_on``."""
    return ask_heads(conn, office_ids)()


def ask_heads(conn: Connection, office_ids: Iterable[int]) -> Callable[[], dict[int, list[str]]]:
    """``heads_of``, asked now and read when called (``Bulk.overlapped``)."""
    sql = bulk(conn)
    match, params = sql.one_of("office_id", sorted(set(office_ids)))
    rows = sql.send(
        conn,
        f"SELECT office_id, email FROM app_user WHERE {match} AND is_head = {sql.mark} "  # noqa: S608 - constant names
        f"AND is_active = {sql.mark} AND email IS NOT NULL ORDER BY email",
        [*params, True, True],
    )

    def found() -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for office_id, email in rows():
            out.setdefault(office_id, []).append(email)
        return out

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
