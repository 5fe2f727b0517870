"""Who is asking: staff by a bearer token (the API) or a session cookie (the browser), the
one-stop software by its integration token, and an anonymous citizen by the client's address
(read behind trusted proxies only) and a device cookie."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.auth import service
from app.core.errors import DomainError, Forbidden
from app.core.networks import in_networks, is_address, parse_networks
from app.integrity import cluster_decisions
from app.models import LoginSession, User
from app.sources import service as sources
from app.web.deps import ShortSessionsDep
from app.web.rendering import is_htmx
from app.web.state import state

SESSION_COOKIE = "hl_session"
CSRF_HEADER = "X-CSRF-Token"


class NotAuthenticated(DomainError):
    """Authentication required."""

    status_code = 401
    code = "not_authenticated"
    message_vi = "Xin đăng nhập để tiếp tục."


class CsrfFailed(DomainError):
    """The form's CSRF token is missing or wrong; reload the page and try again."""

    status_code = 403
    code = "csrf_failed"
    message_vi = "Phiên làm việc đã thay đổi, xin tải lại trang và thử lại."


def current_user(request: Request, sessions: ShortSessionsDep) -> User:
    """Who is asking, read in a session of its own that ends with this dependency's thread job
    (the handler's session starts later, in the handler's own job)."""
    with sessions() as session:
        return _authenticate(request, session)


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; None when it is not one."""
    if header is None or not header.lower().startswith("bearer "):
        return None
    return header[7:].strip()


def _authenticate(request: Request, session: Session) -> User:
    token = bearer_token(request.headers.get("Authorization"))
    if token is not None:
        if not request.url.path.startswith("/api/"):  # tokens are for the API alone
            raise NotAuthenticated("API tokens are accepted on /api/ routes only")
        user = service.token_user(session, token)
        if user is None:
            raise NotAuthenticated("Invalid or revoked token")
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    found = service.session_user(session, cookie) if cookie else None
    if found is None:
        raise NotAuthenticated()
    user, login = found
    request.state.login = login
    request.state.user = user  # the staff pages' header shows who is signed in
    if (
        request.method == "GET"
        and not is_htmx(request)
        and not request.url.path.startswith("/api/")
    ):
        # A whole page: its header shows inspectors how many ratings await their review.
        request.state.awaiting = cluster_decisions.awaiting(session, user)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def login_of(request: Request) -> LoginSession | None:
    login: LoginSession | None = getattr(request.state, "login", None)
    return login


def csrf_of(request: Request) -> str:
    """The signed-in session's CSRF token, for the forms a page renders ("" without one)."""
    login = login_of(request)
    return login.csrf_token if login else ""


async def check_csrf(request: Request, user: CurrentUser) -> User:
    """For every state-changing request made with the session cookie: the form field ``csrf``
    or the ``X-CSRF-Token`` header must carry the session's token."""
    login = login_of(request)
    if login is None:  # a bearer token: no ambient credentials to abuse
        return user
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form: FormData = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, login.csrf_token):
        raise CsrfFailed()
    return user


CsrfUser = Annotated[User, Depends(check_csrf)]


def current_integration(request: Request, sessions: ShortSessionsDep) -> sources.Credential:
    """The integration a bearer token belongs to. Staff and device tokens are refused: only the
    one-stop software registers dossiers and announces counters."""
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise NotAuthenticated("An integration's bearer token is required")
    with sessions() as session:
        found = sources.credential(session, token)
    if found is not None and found.kind == "integration":
        return found
    if found is not None or not token.startswith(sources.INTEGRATION_PREFIX):
        raise Forbidden(
            "Only an integration (one-stop software) may do this",
            message_vi="Chỉ phần mềm một cửa được cấp quyền mới làm được việc này.",
        )
    raise NotAuthenticated("Invalid or revoked integration token")


CurrentIntegration = Annotated[sources.Credential, Depends(current_integration)]


DEVICE_COOKIE = "hl_device"
DEVICE_VALUE = re.compile(r"[0-9a-f]{32}")
DEVICE_SECONDS = 400 * 24 * 3600  # browsers cap cookies at 400 days


def client_address(request: Request) -> str:
    """The connection's address, or, when that is a trusted proxy, the nearest address in
    ``X-Forwarded-For`` that is not one (read from the right: what the client itself wrote on
    the left can be anything)."""
    peer = request.client.host if request.client else ""
    trusted = parse_networks(state(request).settings.trusted_proxies)
    if not trusted or not in_networks(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        if not in_networks(hop, trusted):
            return hop if is_address(hop) else peer
    return peer


def device_of(request: Request) -> str | None:
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if DEVICE_VALUE.fullmatch(value) else None


def new_device() -> str:
    return secrets.token_hex(16)


def keep_device(request: Request, response: Response, device: str) -> None:
    """A random id in an HttpOnly cookie: stored only as a hash under the day's key, it lets the
    detectors see one phone rating an office ten times today, and nothing about tomorrow."""
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=DEVICE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
