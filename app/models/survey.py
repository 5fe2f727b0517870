from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime, utcnow


class SurveyVersion(SQLModel, table=True):
    """A survey definition as published: ballots point here, so old ballots keep their wording."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    version: int
    title_vi: str = Field(max_length=255)
    definition: dict[str, Any] = Field(sa_type=JSON)
    sha256: str = Field(max_length=64)
    registered_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
