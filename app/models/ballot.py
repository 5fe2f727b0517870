from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from app.models.types import BigIntPK, UTCDateTime, utcnow


class Ballot(SQLModel, table=True):
    """One citizen's answers to one survey: an append-only fact, never updated or deleted."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("office_id", "idempotency_key"),
        ForeignKeyConstraint(
            ["survey_key", "survey_version"], ["survey_version.key", "survey_version.version"]
        ),
        Index("ix_ballot_office_submitted", "office_id", "submitted_at"),
        # A unique index rather than a constraint: SQLite adds it without rebuilding the table.
        Index("uq_ballot_office_id_chain_seq", "office_id", "chain_seq", unique=True),
    )

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True))
    receipt: str = Field(max_length=16, unique=True)
    office_id: int = Field(foreign_key="office.id")
    counter: int | None = Field(default=None)
    survey_key: str = Field(max_length=64)
    survey_version: int
    channel: str = Field(max_length=16)
    idempotency_key: str = Field(max_length=128)
    # Fingerprint of what was submitted, to tell an honest retry from a reused key.
    request_hash: str = Field(max_length=64)
    comment: str | None = Field(default=None, sa_type=Text)
    submitted_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    is_demo: bool = Field(default=False)
    # Tamper evidence (app/integrity/chain.py): position in the office's chain and the links.
    chain_seq: int | None = Field(default=None, sa_type=BigInteger)
    prev_hash: str | None = Field(default=None, max_length=64)
    chain_hash: str | None = Field(default=None, max_length=64)
    # Where it came from (app/models/sources.py SOURCES); None for ballots stored before
    # provenance was recorded. Part of the chained content when set.
    source: str | None = Field(default=None, max_length=16)
    device_id: int | None = Field(default=None)
    integration_id: int | None = Field(default=None)
    officer_code: str | None = Field(default=None, max_length=32)
    # A keyed hash of the dossier code it is bound to. One ballot per dossier is kept by the
    # idempotency key, "d:" + this hash (unique per office, so no second index is needed).
    dossier_hash: str | None = Field(default=None, max_length=64)
    # Derived, not chained: the ballot's level under its survey version's ballot rule (0:
    # unclassified), so a dossier's rating is read without its answers.
    level: int | None = Field(default=None, sa_type=SmallInteger)
    # A ballot cast on a kiosk while offline and sent later from its queue: when it arrived
    # (``submitted_at`` is when it was cast, so it counts in that period). Chained when set.
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OfficeChain(SQLModel, table=True):
    """The head of each office's ballot chain: its length and last hash."""

    __tablename__ = "office_chain"

    office_id: int = Field(foreign_key="office.id", primary_key=True)
    last_seq: int = Field(sa_type=BigInteger)
    last_hash: str = Field(max_length=64)


class Answer(SQLModel, table=True):
    """One answer of a ballot. On SQLite the table is its key's tree (WITHOUT ROWID): an answer
    is found by ballot and question in one step, which halved what an export's answers cost."""

    __tablename__ = "answer"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: int = Field(sa_column=Column(BigIntPK, ForeignKey("ballot.id"), primary_key=True))
    question_key: str = Field(max_length=64, primary_key=True)
    value: int = Field(sa_type=SmallInteger)


class BallotPublic(BaseModel):
    """A receipt: what the citizen or the kiosk gets back for a stored ballot.

    A plain pydantic model: it is built for every ballot, and SQLModel's non-table models cost
    several times more to construct."""

    receipt: str
    office: str
    survey: str
    survey_version: int
    counter: int | None
    submitted_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any], office_code: str) -> BallotPublic:
        """The receipt of a stored ballot (its row, as a mapping)."""
        return cls(
            receipt=row["receipt"],
            office=office_code,
            survey=row["survey_key"],
            survey_version=row["survey_version"],
            counter=row["counter"],
            submitted_at=row["submitted_at"],
        )
