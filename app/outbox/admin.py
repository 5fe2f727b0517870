"""Watching the outbox: what waits, what failed and was given up, and sending it again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.errors import NotFound
from app.models import OutboxMessage
from app.models.types import utcnow

State = Literal["waiting", "gave_up", "delivered"]
STATES: dict[str, str] = {
    "waiting": "Đang chờ gửi",
    "gave_up": "Đã dừng gửi",
    "delivered": "Đã gửi",
}


@dataclass(frozen=True)
class Line:
    id: int
    channel: str
    event: str
    event_id: str
    recipient: str
    created_at: datetime
    attempts: int
    next_at: datetime
    state: str
    last_error: str | None


def _state(message: OutboxMessage) -> str:
    if message.delivered_at is not None:
        return "delivered"
    return "gave_up" if message.gave_up_at is not None else "waiting"


def _where(state: str) -> sa.ColumnElement[bool]:
    if state == "delivered":
        return col(OutboxMessage.delivered_at).is_not(None)
    if state == "gave_up":
        return col(OutboxMessage.gave_up_at).is_not(None)
    return sa.and_(
        col(OutboxMessage.delivered_at).is_(None), col(OutboxMessage.gave_up_at).is_(None)
    )


def counts(session: Session) -> Counter[str]:
    found: Counter[str] = Counter()
    for state in STATES:
        query = select(sa.func.count()).select_from(OutboxMessage).where(_where(state))
        found[state] = session.exec(query).one()
    return found


def waiting(session: Session) -> tuple[int, datetime | None]:
    """How many messages wait to be delivered, and since when the oldest has."""
    query = select(sa.func.count(), sa.func.min(OutboxMessage.created_at)).where(_where("waiting"))
    depth, oldest = session.exec(query).one()
    return int(depth), oldest


def lines(session: Session, state: State, limit: int = 100) -> list[Line]:
    found = session.exec(
        select(OutboxMessage)
        .where(_where(state))
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    )
    return [
        Line(
            id=m.id or 0,
            channel=m.channel,
            event=m.event,
            event_id=m.event_id,
            recipient=m.recipient,
            created_at=m.created_at,
            attempts=m.attempts,
            next_at=m.next_at,
            state=_state(m),
            last_error=m.last_error,
        )
        for m in found
    ]


def retry(session: Session, message_ids: list[int] | None, by: str, address: str = "") -> int:
    """Send given-up messages again from the start of the schedule (every one with None)."""
    query = sa.update(OutboxMessage).where(col(OutboxMessage.gave_up_at).is_not(None))
    if message_ids is not None:
        query = query.where(col(OutboxMessage.id).in_(message_ids))
    result = session.connection().execute(
        query.values(gave_up_at=None, attempts=0, next_at=utcnow(), lease_until=None)
    )
    n = int(result.rowcount or 0)
    if message_ids is not None and n < len(message_ids):
        raise NotFound(
            "some of these messages were not given up",
            message_vi="Có thư hoặc sự kiện không ở trạng thái đã dừng gửi.",
        )
    if n:
        target = "tất cả" if message_ids is None else ", ".join(map(str, message_ids))
        audit.record(session, by, "outbox_retry", target[:200], f"{n} tin", address)
    return n
