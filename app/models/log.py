"""The public log (app/transparency): one append-only Merkle tree of what the public may see of
every ballot and decision, with the hashes its tiles are served from and the checkpoints that
sign its heads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, SmallInteger, Text
from sqlmodel import Field, SQLModel

from app.models.types import BigIntPK, UTCDateTime, utcnow


class LogPending(SQLModel, table=True):
    """A ballot or a decision waiting for its place in the log, written in the transaction that
    stored it. The sequencer gives each its index, in this table's order, and removes it."""

    __tablename__ = "log_pending"

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True))
    ballot_id: int | None = Field(default=None, sa_type=BigInteger)
    exclusion_id: int | None = Field(default=None)


class LogEntry(SQLModel, table=True):
    """A leaf: its index in the tree, the ballot or decision it is, and its leaf hash (the
    entry itself is derived from their rows when read: app/transparency/ballot_entries.py)."""

    __tablename__ = "log_entry"
    __table_args__ = (
        Index("ix_log_entry_ballot_id", "ballot_id"),
        Index("ix_log_entry_exclusion_id", "exclusion_id"),
    )

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    ballot_id: int | None = Field(default=None, sa_type=BigInteger)
    exclusion_id: int | None = Field(default=None)


class LogNode(SQLModel, table=True):
    """The head of a full subtree of 2^level leaves (level 8, 16, 24, …): what the tiles above
    level 0 hold, kept so neither a tile nor a proof rehashes the leaves below."""

    __tablename__ = "log_node"

    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class LogCheckpoint(SQLModel, table=True):
    """A signed tree head, as served (a C2SP checkpoint), with the witnesses' cosignatures as
    they come."""

    __tablename__ = "log_checkpoint"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
