"""Staff accounts, their login sessions and API tokens, and the login throttle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime, utcnow

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("Quản trị", "Administrator: everything"),
    "officer": ("Cán bộ đơn vị", "Officer: one office and its sub-tree"),
    "inspector": ("Kiểm tra", "Inspector: read-only, a sub-tree or everything"),
}


class UserBase(SQLModel):
    username: str = Field(max_length=64, regex=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    role: str = Field(max_length=16)


class User(UserBase, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    office_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("office.id"), nullable=True)
    )
    is_active: bool = Field(default=True)
    # The head of the unit (an officer account): may see per-officer figures.
    is_head: bool = Field(default=False)
    # Where mail about cases and alerts goes; None: no mail.
    email: str | None = Field(default=None, max_length=254)
    # Gets the weekly digest (Monday 07:00, Vietnam time) at ``email``.
    digest: bool = Field(default=False)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )


def judges_unit(user: User) -> bool:
    """Admins, inspectors and the heads of units: those who judge a unit, and so may see who
    served whom and handle its cases, unlike the officers being compared."""
    return user.role in ("admin", "inspector") or (user.role == "officer" and user.is_head)


class UserCreate(UserBase):
    office: str | None = None
    password: str = Field(min_length=10, max_length=1024)


class UserPublic(UserBase):
    office: str | None = None


class LoginSession(SQLModel, table=True):
    """A browser's login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    expires_at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token for the API alone; shown once, stored as its SHA-256, revocable."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(default="", max_length=120)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per account ("user:NAME") and per address ("ip:ADDR"), shared by all
    workers: each further failure past a few makes the next attempt wait longer."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=200)
    failures: int = Field(default=0)
    last_failure_at: datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
