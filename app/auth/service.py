"""Staff accounts: passwords (Argon2), login sessions, API tokens, login throttling."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from pwdlib import PasswordHash
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.text import is_email
from app.models import ApiToken, LoginSession, LoginThrottle, User, UserCreate
from app.models.account import ROLES
from app.models.types import utcnow
from app.offices.service import get_by_code

SESSION_LIFETIME = timedelta(hours=12)
FREE_FAILURES = 5  # failures allowed before each further one makes the next attempt wait
MAX_LOCK = timedelta(minutes=15)
TOKEN_PREFIX = "hl_"  # noqa: S105 - marks a token in logs and leak scanners

_hasher = PasswordHash.recommended()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, data: UserCreate) -> User:
    username = data.username.strip().lower()
    if data.role not in ROLES:
        raise InvalidInput(f"role {data.role!r}: must be one of {', '.join(ROLES)}")
    if data.role == "officer" and not data.office:
        raise InvalidInput("an officer must be bound to an office (--office CODE)")
    if data.role == "admin" and data.office:
        raise InvalidInput("an admin is not bound to an office")
    if len(data.password) < 10:
        raise InvalidInput("the password must have at least 10 characters")
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(f"user {username!r} already exists")
    office = get_by_code(session, data.office) if data.office else None
    user = User(
        username=username,
        role=data.role,
        password_hash=_hasher.hash(data.password),
        office_id=office.id if office else None,
    )
    session.add(user)
    session.flush()
    return user


def set_mail(
    session: Session, user: User, email: str | None, digest: bool | None, *, by: str
) -> User:
    """The account's address for mail about cases and alerts ("" removes it), and whether it
    gets the weekly digest; logged."""
    from app.audit import service as audit

    if email is not None:
        address = email.strip()
        if address and not is_email(address):
            raise InvalidInput(f"not an e-mail address: {email!r}")
        user.email = address or None
    if digest is not None:
        user.digest = digest
    if user.digest and not user.email:
        raise InvalidInput("the weekly digest needs an e-mail address (--email ADDR)")
    session.add(user)
    session.flush()
    audit.record(
        session, by, "user_email", user.username, f"{user.email or '-'}, digest={user.digest}"
    )
    return user


def set_password(session: Session, username: str, password: str, *, by: str) -> User:
    """A new password; the account's open sessions end, and the audit log records who."""
    from app.audit import service as audit

    user = get_user(session, username)
    if len(password) < 10:
        raise InvalidInput("the password must have at least 10 characters")
    user.password_hash = _hasher.hash(password)
    session.add(user)
    for login_session in session.exec(
        select(LoginSession).where(
            LoginSession.user_id == user.id, col(LoginSession.revoked_at).is_(None)
        )
    ):
        login_session.revoked_at = utcnow()
        session.add(login_session)
    audit.record(session, by, "password_reset", f"user {user.username}", office_id=user.office_id)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


@dataclass
class LoginResult:
    user: User | None = None
    retry_after: int = 0  # seconds to wait, when throttled


def login(
    session: Session, username: str, password: str, address: str, now: datetime | None = None
) -> LoginResult:
    """Check a password under the throttle. Returns rather than raises, so the failure count is
    committed with the request.

    The account's and the address's counts are held (their rows locked, on SQLite by the write
    lock the request took) from before the password is checked until the request commits:
    parallel guesses queue behind one another, so no more are checked than one after another
    would be. A success clears the account's count, never the address's: signing in to one's
    own account must not buy more guesses at others."""
    now = now or utcnow()
    username = username.strip().lower()[:64]
    account, client = f"user:{username}", f"ip:{address}"
    rows = _hold(session, [account, client], now)
    wait = _locked_for(rows, now)
    if wait:
        return LoginResult(retry_after=wait)
    user = session.exec(select(User).where(User.username == username)).first()
    valid = _hasher.verify(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not valid or not user.is_active:
        _fail(session, [account, client], now)
        return LoginResult()
    session.delete(rows[account])
    if not rows[client].failures:
        session.delete(rows[client])
    session.flush()
    return LoginResult(user=user)


def _hold(session: Session, keys: list[str], now: datetime) -> dict[str, LoginThrottle]:
    """The throttle's rows of ``keys``, made if new and locked until the transaction ends (in
    one order, so two logins sharing an address and an account cannot deadlock)."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for key in sorted(keys):
        new = insert(table).values(key=key, failures=0, last_failure_at=now)
        session.execute(new.on_conflict_do_nothing(index_elements=[table.c.key]))
    query = (
        select(LoginThrottle)
        .where(col(LoginThrottle.key).in_(sorted(keys)))
        .order_by(col(LoginThrottle.key))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.key: row for row in session.exec(query)}


def _locked_for(rows: dict[str, LoginThrottle], now: datetime) -> int:
    until = max((r.locked_until for r in rows.values() if r.locked_until), default=None)
    return max(0, int((until - now).total_seconds()) + 1) if until and until > now else 0


def _fail(session: Session, keys: list[str], now: datetime) -> None:
    """Count a failure for each key atomically (an upsert that increments): parallel attempts
    each count, and a burst into a key not yet seen cannot collide on its first insert."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stale = now - MAX_LOCK * 4
    for key in keys:
        statement = insert(table).values(key=key, failures=1, last_failure_at=now)
        failures = session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": sa.case(
                        (table.c.last_failure_at < stale, 1), else_=table.c.failures + 1
                    ),
                    "last_failure_at": statement.excluded.last_failure_at,
                },
            ).returning(table.c.failures)
        ).scalar_one()
        over = failures - FREE_FAILURES
        if over >= 0:
            until = now + min(timedelta(seconds=2**over), MAX_LOCK)
            session.execute(
                sa.update(table)
                .where(
                    table.c.key == key,
                    sa.or_(table.c.locked_until.is_(None), table.c.locked_until < until),
                )
                .values(locked_until=until)
            )
    session.expire_all()  # rows read before are stale now


def open_session(session: Session, user: User) -> tuple[str, LoginSession]:
    token = secrets.token_urlsafe(32)
    login_session = LoginSession(
        token_hash=digest(token),
        user_id=user.id or 0,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + SESSION_LIFETIME,
    )
    session.add(login_session)
    session.flush()
    return token, login_session


def session_user(session: Session, token: str) -> tuple[User, LoginSession] | None:
    """The active user of a sign-in still valid, and that sign-in: one query, as every staff
    page asks."""
    found = (
        select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)  # type: ignore[arg-type]
        .where(
            LoginSession.token_hash == digest(token),
            LoginSession.revoked_at.is_(None),  # type: ignore[union-attr]
            LoginSession.expires_at > utcnow(),
            User.is_active,
        )
    )
    row = session.exec(found).first()
    return (row[0], row[1]) if row is not None else None


def close_session(session: Session, login_session: LoginSession) -> None:
    login_session.revoked_at = utcnow()
    session.add(login_session)
    session.flush()


def create_token(session: Session, username: str, name: str = "") -> tuple[str, ApiToken]:
    user = get_user(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=digest(token), prefix=token[:10], user_id=user.id or 0, name=name[:120]
    )
    session.add(row)
    session.flush()
    return token, row


def token_user(session: Session, token: str) -> User | None:
    """The active user an unrevoked token belongs to: one query, as every API request asks."""
    found = (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
        .where(
            ApiToken.token_hash == digest(token),
            ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
            User.is_active,
        )
    )
    return session.exec(found).first()


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    session.flush()
    return row


def tokens_of(session: Session, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id)))
