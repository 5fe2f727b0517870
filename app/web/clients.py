"""Who is asking: the client's address (behind trusted proxies only) and its device cookie."""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

from app.core.networks import in_networks, is_address, parse_networks
from app.web.state import state

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
