"""Exclusions from the statistics and the audit log: both append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Text
from sqlmodel import Field, SQLModel

from app.models.types import BigIntPK, UTCDateTime, utcnow


class Exclusion(SQLModel, table=True):
    """One decision about one ballot: excluded from the statistics, or reinstated. The latest
    decision stands; none is ever changed or removed."""

    __tablename__ = "exclusion"

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = Field(
        sa_column=Column(BigIntPK, ForeignKey("ballot.id"), nullable=False, index=True)
    )
    excluded: bool
    reason: str = Field(sa_type=Text)
    # What kind of decision, as the public log shows it (the reason itself is never public):
    # "ballot" (one ballot, by its receipt) or "cluster:<rule>" (a cluster of flagged ballots).
    category: str | None = Field(default=None, max_length=64)
    user_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )


class AuditEvent(SQLModel, table=True):
    """Who did what, when and why: logins, exclusions, exports."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True))
    at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    username: str = Field(max_length=64)
    action: str = Field(max_length=32, index=True)
    target: str = Field(default="", max_length=200)
    reason: str | None = Field(default=None, sa_type=Text)
    address: str = Field(default="", max_length=64)
    # The office the event concerns (a bound inspector sees only events in their sub-tree).
    office_id: int | None = Field(default=None, foreign_key="office.id", index=True)
