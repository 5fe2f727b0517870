from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime, utcnow

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
KINDS: dict[str, tuple[str, str]] = {
    "province": ("Tỉnh, thành phố", "Province or city"),
    "department": ("Sở, ban, ngành", "Department"),
    "district": ("Huyện, quận (trước 7/2025)", "District (before July 2025)"),
    "commune": ("Xã, phường, đặc khu", "Commune or ward"),
    "service-centre": ("Trung tâm phục vụ hành chính công", "Public administration service centre"),
    "one-stop": ("Bộ phận một cửa", "One-stop unit"),
    "other": ("Đơn vị khác", "Other unit"),
}


class OfficeBase(SQLModel):
    code: str = Field(max_length=64, regex=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=255)
    kind: str = Field(default="one-stop", max_length=32)
    survey_key: str | None = Field(default=None, max_length=64)


class Office(OfficeBase, table=True):
    __tablename__ = "office"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    parent_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("office.id"), index=True, nullable=True),
    )
    is_demo: bool = Field(default=False)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    # Which ballot sources count in the figures ("open,counter,dossier,kiosk"); None inherits
    # the parent's, and the root's None means all of them.
    count_sources: str | None = Field(default=None, max_length=64)
    # Where staff sit ("10.1.2.0/24,…") and when the unit is open ("T2-T6 07:30-11:30,…"):
    # a citizen's rating from the first, or outside the second, is flagged. None inherits.
    staff_networks: str | None = Field(default=None, max_length=500)
    opening_hours: str | None = Field(default=None, max_length=200)
    # Working days a case has before it is overdue; None inherits (the root's None: 10).
    case_days: int | None = Field(default=None)
    # When to alert on a run of dissatisfied ballots ("50% 60m 4", "off"); None inherits.
    alert_rule: str | None = Field(default=None, max_length=64)
    # Whether its results are published at /cong-khai; None inherits (the root's None: not).
    public: bool | None = Field(default=None)


class OfficeCreate(OfficeBase):
    parent: str | None = None


class OfficePublic(OfficeBase):
    parent: str | None = None
    counters: list[int] = []


class Counter(SQLModel, table=True):
    """A numbered counter (quầy) inside an office, so a QR code can name it."""

    __tablename__ = "counter"
    __table_args__ = (UniqueConstraint("office_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    number: int = Field(ge=1, le=999)
    name: str | None = Field(default=None, max_length=120)


class TreeVersion(SQLModel, table=True):
    """One row whose token changes, in the same transaction, whenever any office is added or
    changed: every worker keeps the office tree in memory and reads this row, not the 10,000
    offices, to know whether its copy still holds (``app/offices/tree.py``). A random token,
    not a counter, so a rolled-back change can never be mistaken for a later one."""

    __tablename__ = "tree_version"

    id: int = Field(default=1, primary_key=True)
    token: str = Field(max_length=32)
