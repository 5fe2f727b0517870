"""What the intake observed about each ballot, the flags the detectors raised, and the
inspectors' decisions on them: all append-only, all beside the ballot (never in its chain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, ForeignKey, Index, SmallInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.types import BigIntPK, UTCDateTime, utcnow


class BallotSignal(SQLModel, table=True):
    """Evidence about how a ballot arrived, for the detectors; never shown to officers.

    No raw address, user agent or cookie: ``address_hash`` and ``device_hash`` are keyed hashes
    under a random key of the day (``SignalKey``) that is thrown away after a few days, so a
    device can be grouped within a day but not followed across months."""

    __tablename__ = "ballot_signal"
    __table_args__ = (
        Index("ix_ballot_signal_office_at", "office_id", "at"),
        Index("ix_ballot_signal_form_nonce", "form_nonce"),
    )

    ballot_id: int = Field(sa_column=Column(BigIntPK, ForeignKey("ballot.id"), primary_key=True))
    office_id: int = Field(foreign_key="office.id")
    at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    source: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    hour: int = Field(sa_type=SmallInteger)  # hour of the week in Vietnam, 0 = Monday 00:00
    address_hash: str | None = Field(default=None, max_length=32)
    device_hash: str | None = Field(default=None, max_length=32)
    # The signed form's nonce: a form sent twice is timed from its previous sending.
    form_nonce: str | None = Field(default=None, max_length=32)
    seconds: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    staff_network: bool = False
    off_hours: bool = False
    pattern: str = Field(max_length=16)  # a hash of the answers: runs of identical ballots
    level: int = Field(sa_type=SmallInteger)


class BallotFlag(SQLModel, table=True):
    """One rule's doubt about one ballot. The ballot is never changed: it stays in the figures
    until an inspector decides (``FlagReview``)."""

    __tablename__ = "ballot_flag"
    __table_args__ = (
        UniqueConstraint("ballot_id", "rule", "version"),
        Index("ix_ballot_flag_office_ballot_at", "office_id", "ballot_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True))
    ballot_id: int = Field(sa_column=Column(BigIntPK, ForeignKey("ballot.id"), nullable=False))
    office_id: int = Field(foreign_key="office.id")
    rule: str = Field(max_length=32)
    version: int = Field(sa_type=SmallInteger)
    evidence: str = Field(sa_type=Text)  # JSON: what the rule saw, in numbers
    ballot_at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )


class FlagReview(SQLModel, table=True):
    """An inspector's decision on a flag: the ballot was excluded, or it was reviewed and
    found legitimate. One per flag; a reviewed flag no longer asks for attention."""

    __tablename__ = "flag_review"

    flag_id: int = Field(sa_column=Column(BigIntPK, ForeignKey("ballot_flag.id"), primary_key=True))
    decision: str = Field(max_length=16)  # "excluded" or "legitimate"
    cluster: str = Field(max_length=160)
    reason: str = Field(sa_type=Text)
    username: str = Field(max_length=64)
    at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )


class SignalKey(SQLModel, table=True):
    """The random key of one day (Vietnam time) for hashing addresses and device cookies;
    deleted a few days later, after which that day's hashes cannot be linked to anything."""

    __tablename__ = "signal_key"

    day: str = Field(max_length=10, primary_key=True)
    key: str = Field(max_length=64)


class SignalScan(SQLModel, table=True):
    """When a periodic job (the windowed detectors, the timed notices, the weekly digest) last
    ran, so several workers take turns: the row is locked while one runs it."""

    __tablename__ = "signal_scan"

    name: str = Field(max_length=32, primary_key=True)
    last_at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
