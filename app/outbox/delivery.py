"""Delivering the outbox: at least once, never lost, one sender at a time per message.

A sender claims a due message with a conditional UPDATE (the row's lease is set only if nobody
holds it), in a transaction of its own, then sends outside any transaction: a mail server that
takes 15 seconds must not hold SQLite's one write lock, nor a PostgreSQL row lock, meanwhile.
The outcome is recorded in another short transaction. A sender killed between sending and
recording leaves the lease to run out; the message then goes again, with the same id (the
webhook's ``webhook-id``, the mail's Message-ID), so a receiver that dedupes sees it once.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from app.core.db import WRITE
from app.core.smtp import SmtpTarget
from app.models import OutboxAttempt, OutboxMessage, Webhook
from app.models.types import utcnow
from app.outbox import mail, webhooks
from app.outbox.schedule import next_try

log = logging.getLogger("hailong.outbox")
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ATTEMPT = OutboxAttempt.__table__  # type: ignore[attr-defined]
WEBHOOK = Webhook.__table__  # type: ignore[attr-defined]
LEASE = timedelta(minutes=2)  # longer than any send may take (timeouts of 10–15 s)
BATCH = 100


@dataclass(frozen=True)
class Sending:
    """How this sender reaches receivers."""

    smtp: SmtpTarget | None
    mail_from: str


def _due(now: datetime) -> Any:
    return sa.and_(
        OUTBOX.c.delivered_at.is_(None),
        OUTBOX.c.gave_up_at.is_(None),
        OUTBOX.c.next_at <= now,
        sa.or_(OUTBOX.c.lease_until.is_(None), OUTBOX.c.lease_until < now),
    )


def deliver_due(
    engine: Engine, sending: Sending, now: datetime | None = None, limit: int = BATCH
) -> Counter[str]:
    """Deliver what is due; how many were ``delivered``, ``failed`` (to be tried again) and
    ``gave_up``. Mail waits, untried, while no SMTP server is configured."""
    moment = now or utcnow()
    query = sa.select(OUTBOX.c.id).where(_due(moment))
    if sending.smtp is None:
        query = query.where(OUTBOX.c.channel != "mail")
    with engine.connect() as conn:
        ids = list(conn.execute(query.order_by(OUTBOX.c.next_at).limit(limit)).scalars())
    done: Counter[str] = Counter()
    for message_id in ids:
        row = _claim(engine, message_id, moment)
        if row is None:  # another sender took it first
            continue
        ok, detail = _send(engine, sending, row)
        done[_record(engine, row, ok, detail, moment)] += 1
    return done


def _claim(engine: Engine, message_id: int, now: datetime) -> Any:
    with engine.execution_options(**WRITE).begin() as conn:
        claimed = conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == message_id, _due(now))
            .values(lease_until=now + LEASE, attempts=OUTBOX.c.attempts + 1)
        )
        if claimed.rowcount != 1:
            return None
        return conn.execute(sa.select(OUTBOX).where(OUTBOX.c.id == message_id)).one()


def _send(engine: Engine, sending: Sending, row: Any) -> tuple[bool, str]:
    try:
        if row.channel == "mail":
            if sending.smtp is None:
                return False, "no SMTP server configured (HAILONG_SMTP_URL)"
            message = mail.build(
                row.event_id, sending.mail_from, row.recipient, row.subject, row.body, row.html
            )
            mail.send(sending.smtp, message)
            return True, "sent"
        with engine.connect() as conn:
            hook = conn.execute(sa.select(WEBHOOK).where(WEBHOOK.c.id == row.webhook_id)).one()
        if hook.revoked_at is not None:
            return False, "revoked"
        # Signed with the clock's time, whatever ``now`` the schedule runs on: receivers refuse
        # timestamps more than a few minutes off.
        status = webhooks.post(hook.url, hook.secret, row.event_id, row.body)
        return 200 <= status < 300, f"HTTP {status}"
    except Exception as exc:  # any failure to deliver is recorded and tried again
        return False, f"{type(exc).__name__}: {exc}"[:500]


def _record(engine: Engine, row: Any, ok: bool, detail: str, now: datetime) -> str:
    attempts = row.attempts
    after = None if ok or detail == "revoked" else next_try(attempts, now)
    outcome = "delivered" if ok else ("failed" if after is not None else "gave_up")
    values: dict[str, Any] = {"lease_until": None}
    if ok:
        values |= {"delivered_at": now, "last_error": None}
    elif after is not None:
        values |= {"next_at": after, "last_error": detail}
    else:
        values |= {"gave_up_at": now, "last_error": detail}
    with engine.execution_options(**WRITE).begin() as conn:
        conn.execute(
            sa.insert(ATTEMPT).values(message_id=row.id, at=now, ok=ok, detail=detail[:500])
        )
        conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == row.id).values(**values))
    if outcome == "gave_up":
        log.error(
            "gave up delivering %s %s to %s: %s", row.channel, row.event_id, row.recipient, detail
        )
    elif not ok:
        log.warning(
            "could not deliver %s to %s (try %d): %s", row.event_id, row.recipient, attempts, detail
        )
    return outcome
