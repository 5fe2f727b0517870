"""What hailong tells people and other systems: every mail and webhook call is a row written in
the transaction of the event that causes it (the outbox), then delivered at least once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.types import BigIntPK, UTCDateTime, utcnow


class OutboxMessage(SQLModel, table=True):
    """One message to one receiver: a mail to an address, or an event to a webhook."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # Enqueuing the same event for the same receiver twice stores it once.
        UniqueConstraint("channel", "recipient", "event_id"),
        Index("ix_outbox_message_due", "delivered_at", "gave_up_at", "next_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True))
    channel: str = Field(max_length=16)  # "mail" or "webhook"
    # The event's id: the Standard Webhooks ``webhook-id``, and in a mail's Message-ID, so a
    # receiver that sees a message twice knows it.
    event_id: str = Field(max_length=100)
    event: str = Field(max_length=32)  # case.opened, case.answered, case.overdue, alert, digest
    # An e-mail address, or "webhook:<id>".
    recipient: str = Field(max_length=254)
    webhook_id: int | None = Field(default=None, foreign_key="webhook.id")
    office_id: int | None = Field(default=None, foreign_key="office.id")
    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(sa_type=Text)  # the mail's plain text, or the webhook's JSON
    html: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    next_at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    attempts: int = Field(default=0)
    # A sender that claimed it holds it until then; a sender killed mid-send lets it go.
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    gave_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)


class OutboxAttempt(SQLModel, table=True):
    """Each try to deliver a message, and what came of it."""

    __tablename__ = "outbox_attempt"

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True))
    message_id: int = Field(
        sa_column=Column(BigIntPK, ForeignKey("outbox_message.id"), index=True, nullable=False)
    )
    at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    ok: bool
    detail: str = Field(default="", max_length=500)


class Webhook(SQLModel, table=True):
    """A province's own system told of events in an office's sub-tree, signed as the Standard
    Webhooks spec says with a secret shown once when it is added."""

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    url: str = Field(max_length=2000)
    # The signing key (``whsec_…``): kept, since every delivery is signed with it.
    secret: str = Field(max_length=100)
    events: str = Field(max_length=200)  # comma-separated
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    created_by: str = Field(default="", max_length=64)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OfficeAlert(SQLModel, table=True):
    """A threshold alert raised for an office: when, and on what figures."""

    __tablename__ = "office_alert"
    __table_args__ = (Index("ix_office_alert_office_raised", "office_id", "raised_at"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    raised_at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    ballots: int
    not_satisfied: int
    rule: str = Field(max_length=64)
