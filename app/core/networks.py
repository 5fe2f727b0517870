"""Networks as settings write them ("10.1.2.0/24,192.168.5.0/24"), and whether an address lies in
one: an office's staff network, the trusted reverse proxies."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from app.core.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
