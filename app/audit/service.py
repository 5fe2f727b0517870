"""The audit log: append-only, one row per login, exclusion, reinstatement or export."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models import AuditEvent


def record(
    session: Session,
    username: str,
    action: str,
    target: str = "",
    reason: str | None = None,
    address: str = "",
) -> None:
    session.add(
        AuditEvent(
            username=username[:64],
            action=action,
            target=target[:200],
            reason=reason,
            address=address[:64],
        )
    )
    session.flush()


def recent(session: Session, limit: int = 200) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)))
