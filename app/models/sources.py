"""Where ratings come from: integrations (one-stop software), devices (counter screens, kiosks,
lobby displays), the dossiers a rating can be bound to, and what each counter is serving."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime, utcnow

# How a ballot came (``ballot.source``): the open office QR or URL, the counter screen's
# rotating QR, a dossier's rating link (or the counter while it serves a dossier), a kiosk.
SOURCES: dict[str, tuple[str, str]] = {
    "open": ("Mã QR chung", "Open QR code or link"),
    "counter": ("Mã QR tại quầy", "Counter screen QR"),
    "dossier": ("Theo hồ sơ", "Dossier rating link"),
    "kiosk": ("Máy đánh giá tại chỗ", "Kiosk"),
}
# How a ballot reached the server: the citizen's form, or software speaking the API (a kiosk,
# a one-stop system).
CHANNELS: dict[str, tuple[str, str]] = {
    "web": ("Trang phiếu trên web", "Web form"),
    "api": ("Phần mềm kết nối (API)", "Connected software (API)"),
}
DEVICE_KINDS: dict[str, tuple[str, str]] = {
    "counter-screen": ("Màn hình tại quầy", "Counter screen"),
    "kiosk": ("Máy đánh giá tại chỗ", "Kiosk"),
    "display": ("Màn hình sảnh chờ", "Lobby display"),
}


class Integration(SQLModel, table=True):
    """One-stop software allowed to register dossiers and mint rating links for a sub-tree.
    It can never read figures or cast a ballot. The token is shown once, stored as SHA-256."""

    __tablename__ = "integration"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    office_id: int = Field(foreign_key="office.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    # Raw Ed25519 public key (32 bytes, base64url) for links the software mints offline.
    public_key: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Device(SQLModel, table=True):
    """A screen or kiosk of one office, issued by someone other than its officers. The token is
    shown once (inside the device's URL), stored as SHA-256."""

    __tablename__ = "device"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    office_id: int = Field(foreign_key="office.id", index=True)
    kind: str = Field(max_length=16)
    counter: int | None = Field(default=None)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # With the deployment's key, makes the device's own secret (``app/sources/device_keys.py``),
    # which lets a counter screen mint its QR and a kiosk sign its queue while offline. None:
    # added before devices had secrets (a screen then asks the server for each QR).
    secret_salt: str | None = Field(default=None, max_length=32)
    # How far the screen's clock is ahead of the server's, as last seen while it was online.
    clock_offset_ms: int | None = Field(default=None, sa_type=BigInteger)
    clock_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Dossier(SQLModel, table=True):
    """A dossier (hồ sơ) as the one-stop software reports it. The code itself is never stored:
    ``code_hash`` is a keyed hash, the same one a ballot bound to it carries."""

    __tablename__ = "dossier"
    __table_args__ = (UniqueConstraint("office_id", "code_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    code_hash: str = Field(max_length=64)
    procedure_code: str | None = Field(default=None, max_length=32)
    field: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    officer_code: str | None = Field(default=None, max_length=32)
    officer_name: str | None = Field(default=None, max_length=120)
    counter: int | None = Field(default=None)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    integration_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("integration.id"), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )


class CounterServing(SQLModel, table=True):
    """The dossier a counter is serving now, as the integration announced it: a ballot cast
    through that counter's screen soon after is bound to it."""

    __tablename__ = "counter_serving"

    office_id: int = Field(foreign_key="office.id", primary_key=True)
    counter: int = Field(primary_key=True)
    code_hash: str | None = Field(default=None, max_length=64)
    officer_code: str | None = Field(default=None, max_length=32)
    officer_name: str | None = Field(default=None, max_length=120)
    integration_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("integration.id"), nullable=True)
    )
    since: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
