"""Signing in and out, and the staff home page."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.audit import service as audit
from app.auth import service
from app.web.deps import SessionDep, SettingsDep
from app.web.identity import SESSION_COOKIE, CsrfUser, client_address, login_of
from app.web.rendering import render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["staff"], include_in_schema=False)
LOGIN_NONCE_COOKIE = "hl_login"


def _login_token(secret: str, nonce: str) -> str:
    # Signed double submit: the form must carry the HMAC of the nonce in this browser's cookie.
    return hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff"


def _login_page(
    request: Request, secret: str, next_url: str, error: str = "", status: int = 200
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "auth/login.html",
        {"csrf": _login_token(secret, nonce), "next": next_url, "error": error},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        path="/login",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str | None = None) -> HTMLResponse:
    return _login_page(request, settings.secret_key.get_secret_value(), _safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/staff",
) -> Response:
    secret = settings.secret_key.get_secret_value()
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    if not nonce or not hmac.compare_digest(csrf, _login_token(secret, nonce)):
        message = "Phiên đăng nhập đã hết hạn, xin thử lại."
        return _login_page(request, secret, _safe_next(next), message, status=403)
    address = client_address(request)
    result = service.login(session, username, password, address)
    outcome = (
        "login" if result.user else ("login_throttled" if result.retry_after else "login_failed")
    )
    office_id = result.user.office_id if result.user else None
    audit.record(session, username.strip().lower(), outcome, address=address, office_id=office_id)
    if result.retry_after:
        page = _login_page(
            request,
            secret,
            _safe_next(next),
            f"Đăng nhập sai nhiều lần. Xin thử lại sau {result.retry_after} giây.",
            status=429,
        )
        page.headers["Retry-After"] = str(result.retry_after)
        return page
    if result.user is None:
        message = "Tên đăng nhập hoặc mật khẩu không đúng."
        return _login_page(request, secret, _safe_next(next), message, status=401)
    token, _ = service.open_session(session, result.user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(service.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or settings.public_url.startswith("https://"),
    )
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: CsrfUser) -> RedirectResponse:
    login_session = login_of(request)
    if login_session is not None:
        service.close_session(session, login_session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
