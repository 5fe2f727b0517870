from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import service
from app.models import LoginSession
from app.models.types import utcnow
from app.surveys.catalog import SurveyCatalog
from tests.factories import bearer, csrf_of, login_form, make_office, make_user, sign_in


def _try(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data=login_form(client, username, password),
        follow_redirects=False,
    )


def test_sign_in_and_out(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    office = make_office(db, registered)
    user = make_user(db, "officer", office.code)
    assert user.password_hash.startswith("$argon2id$")
    response = _try(client, user.username, "mat-khau-dai-1")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "hl_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")
    page = client.get("/staff")
    assert user.username in page.text
    assert office.name in page.text
    csrf = csrf_of(page.text)
    # No CSRF token, no logout.
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    after = client.get("/staff", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"] == "/login?next=%2Fstaff"


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    user = make_user(db, "admin")
    wrong = _try(client, user.username, "not-the-password")
    unknown = _try(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text
    assert "hl_session" not in wrong.headers.get("set-cookie", "")


def test_login_form_needs_its_csrf_token(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    user = make_user(db, "admin")
    response = client.post(
        "/login", data={"username": user.username, "password": "mat-khau-dai-1", "csrf": "x"}
    )
    assert response.status_code == 403


def test_failures_slow_down_the_account_and_the_address(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    user = make_user(db, "admin")
    # Made first: the last failure's wait is a second, and hashing a password on a busy
    # machine took longer than that.
    other = make_user(db, "admin")
    for _ in range(service.FREE_FAILURES):
        assert _try(client, user.username, "wrong-password").status_code == 401
    throttled = _try(client, user.username, "mat-khau-dai-1")  # even the right password waits
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    # The address is throttled too: another account from the same address waits as well.
    assert _try(client, other.username, "mat-khau-dai-1").status_code == 429


def test_lock_expires_and_success_resets(db: Session, registered: SurveyCatalog) -> None:
    user = make_user(db, "admin")
    now = utcnow()
    for _ in range(service.FREE_FAILURES + 1):
        assert service.login(db, user.username, "bad-password", "10.0.0.1", now).user is None
    assert service.login(db, user.username, "mat-khau-dai-1", "10.0.0.1", now).retry_after > 0
    later = now + timedelta(minutes=16)
    assert service.login(db, user.username, "mat-khau-dai-1", "10.0.0.1", later).user == user
    # After a success the count starts again.
    assert service.login(db, user.username, "bad-password", "10.0.0.1", later).retry_after == 0


def test_open_redirects_are_refused(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    user = make_user(db, "admin")
    response = client.post(
        "/login",
        data={**login_form(client, user.username), "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff"


def test_api_tokens(client: TestClient, db: Session, registered: SurveyCatalog) -> None:
    office = make_office(db, registered)
    user = make_user(db, "inspector")
    headers = bearer(db, user)
    ok = client.get(f"/api/v1/offices/{office.code}/summary", headers=headers)
    assert ok.status_code == 200
    # Tokens open the API alone, not the staff pages.
    assert client.get("/staff", headers=headers, follow_redirects=False).status_code == 303
    bad = client.get(
        f"/api/v1/offices/{office.code}/summary", headers={"Authorization": "Bearer hl_nope"}
    )
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"
    [row] = service.tokens_of(db, user.username)
    assert row.token_hash != headers["Authorization"][7:]  # only the digest is stored
    service.revoke_token(db, row.id or 0)
    revoked = client.get(f"/api/v1/offices/{office.code}/summary", headers=headers)
    assert revoked.status_code == 401


def test_session_works_on_the_api_too(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    office = make_office(db, registered)
    sign_in(client, make_user(db, "officer", office.code))
    assert client.get(f"/api/v1/offices/{office.code}/summary").status_code == 200


def test_signing_in_to_ones_own_account_does_not_reset_the_address(
    db: Session, registered: SurveyCatalog
) -> None:
    """Four wrong passwords at each of four accounts from one address, signing in to one's own
    account after every four: the address is throttled once its free failures are spent."""
    own = make_user(db, "admin")
    targets = [make_user(db, "admin") for _ in range(4)]
    now = utcnow()
    checked = 0
    for target in targets:
        for _ in range(4):
            result = service.login(db, target.username, "doan-thu", "10.0.0.9", now)
            if result.retry_after:
                break
            checked += 1
        service.login(db, own.username, "mat-khau-dai-1", "10.0.0.9", now)
    assert checked == service.FREE_FAILURES


def test_an_expired_sign_in_and_a_disabled_account_open_nothing(
    client: TestClient, db: Session, registered: SurveyCatalog
) -> None:
    """A sign-in past its time, and a disabled account's sign-in and token, are each refused
    (the user and the sign-in or token are read in one query)."""
    office = make_office(db, registered)
    user = make_user(db, "officer", office.code)
    headers = bearer(db, user)
    sign_in(client, user)
    page = f"/staff/offices/{office.code}"
    assert client.get(page, follow_redirects=False).status_code == 200
    [login] = db.exec(select(LoginSession).where(LoginSession.user_id == user.id)).all()
    login.expires_at = utcnow() - timedelta(seconds=1)
    db.add(login)
    db.flush()
    assert client.get(page, follow_redirects=False).headers["location"].startswith("/login")
    sign_in(client, user)
    user.is_active = False
    db.add(user)
    db.flush()
    assert client.get(page, follow_redirects=False).headers["location"].startswith("/login")
    summary = client.get(f"/api/v1/offices/{office.code}/summary", headers=headers)
    assert summary.status_code == 401
