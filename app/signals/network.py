"""Who is asking: the client's address (behind trusted proxies only), its device cookie, and
whether the address lies in an office's staff network."""

from __future__ import annotations

import ipaddress
import re
import secrets
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from app.core.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEVICE_COOKIE = "hl_device"
DEVICE_VALUE = re.compile(r"[0-9a-f]{32}")
DEVICE_SECONDS = 400 * 24 * 3600  # browsers cap cookies at 400 days


class BadNetworks(InvalidInput):
    message_vi = "Dải mạng chưa đúng, ví dụ: “10.1.2.0/24,192.168.5.0/24”."


@lru_cache(maxsize=1024)
def parse_networks(text: str) -> tuple[Network, ...]:
    found = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise BadNetworks(f"{part!r}: not a network such as 10.1.2.0/24 ({exc})") from exc
    return tuple(found)


def in_networks(address: str, networks: tuple[Network, ...]) -> bool:
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


def client_address(request: Request) -> str:
    """The connection's address, or, when that is a trusted proxy, the nearest address in
    ``X-Forwarded-For`` that is not one (read from the right: what the client itself wrote on
    the left can be anything)."""
    peer = request.client.host if request.client else ""
    settings = getattr(request.app.state, "settings", None)
    trusted = parse_networks(settings.trusted_proxies) if settings is not None else ()
    if not trusted or not in_networks(peer, trusted):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        if not in_networks(hop, trusted):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


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
