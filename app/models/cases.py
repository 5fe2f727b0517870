"""Cases (phản ánh, kiến nghị): what a dissatisfied ballot or a citizen's feedback opens, and
the unit's answer to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from app.models.types import BigIntPK, UTCDateTime, utcnow

# States a person sets; "overdue" is not one of them: it is computed from the due time.
STATUSES: dict[str, tuple[str, str]] = {
    "new": ("Mới", "New"),
    "in_progress": ("Đang xử lý", "In progress"),
    "answered": ("Đã trả lời", "Answered"),
    "closed": ("Đóng", "Closed"),
}
# Where a case came from.
ORIGINS: dict[str, tuple[str, str]] = {
    "ballot": ("Phiếu chưa hài lòng", "A dissatisfied ballot"),
    "citizen": ("Phản ánh của người dân", "A citizen's feedback"),
    "staff": ("Mở từ góp ý", "Opened from a comment"),
}


class Case(SQLModel, table=True):
    """One case. Its answer, status and handling rating change; what opened it does not."""

    __tablename__ = "citizen_case"
    __table_args__ = (
        Index("ix_citizen_case_office_opened", "office_id", "opened_at"),
        Index("ix_citizen_case_receipt", "receipt"),
        Index("ix_citizen_case_ballot", "ballot_id"),
        Index("ix_citizen_case_due", "due_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigIntPK, primary_key=True))
    office_id: int = Field(foreign_key="office.id")
    # The ballot behind it (a dissatisfied ballot, or the ballot whose comment staff opened it
    # from, or the receipt a citizen sent feedback from).
    ballot_id: int | None = Field(
        default=None, sa_column=Column(BigIntPK, ForeignKey("ballot.id"), nullable=True)
    )
    # The receipt the citizen holds: the anonymous way back to them.
    receipt: str | None = Field(default=None, max_length=16)
    origin: str = Field(max_length=16)
    text: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="new", max_length=16)
    opened_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    due_at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    opened_by: str | None = Field(default=None, max_length=64)
    answer: str | None = Field(default=None, sa_type=Text)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The citizen's verdict on how it was handled, given once from the receipt page.
    handling_satisfied: bool | None = Field(default=None)
    handling_rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A phone number or e-mail address, only with the citizen's consent; erased 90 days after
    # the case closes (Nghị định 13/2023).
    contact: str | None = Field(default=None, max_length=254)
    contact_erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the head and the parent unit's inspectors were told it is overdue (once).
    overdue_noticed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
