"""What the logs hold of a request: its id, and one access line (``RequestLog``); and paths as
the error lines write them: a device's page (`/device/{token}`, the token is the device's
whole credential) and a rating link (`/r/{token}`, which carries the office, the dossier code
and the officer in clear) keep their kind and a short keyed fingerprint of the secret part,
enough to tell two requests of one device apart while debugging, never the secret itself."""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import re
import time
from functools import lru_cache

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import log_format, metrics

# The secret part of a path: a device's token, or a rating link's token, and what follows it.
SECRET_PATHS = re.compile(r"^(/device/|/r/)([^/?#]+)")
TOKEN_KINDS = ("hld_", "hli_")


class Redactor:
    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"log-fingerprint", hashlib.sha256).digest()

    @lru_cache(maxsize=4096)  # noqa: B019 - one per app, its few thousand devices
    def path(self, path: str) -> str:
        """``path`` with its secret part replaced by its kind and fingerprint."""
        found = SECRET_PATHS.match(path)
        if found is None:
            return path
        prefix, token = found.groups()
        kind = next((k for k in TOKEN_KINDS if token.startswith(k)), "")
        mark = hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()[:8]
        return f"{prefix}{kind}…{mark}{path[found.end() :]}"


# A request id a client or proxy sends is kept if it looks like one (nginx's $request_id, a
# UUID); anything else is replaced, so that no address or token rides into the logs in it.
REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
access = logging.getLogger("hailong.access")


class RequestLog:
    """Gives each request its id (``X-Request-ID`` from the client or the proxy, or a new one;
    sent back in the answer and written on every log line of the request), times it for the
    metrics, and writes one access line: method, route template, status, time. The path is
    never written: it may hold a device's token, a rating link or a receipt."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if REQUEST_ID.fullmatch(given) else new_request_id()
        token = log_format.request_id.set(rid)

        async def seen(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
                seconds = time.perf_counter() - started
                route, method = route_of(scope), _method(scope)
                metrics.request_duration.labels(route=route, method=method).observe(seconds)
                status = int(message["status"])
                access.info(
                    "%s %s %d %.1f ms", method, route, status, seconds * 1000,
                    extra={"method": method, "route": route, "status": status,
                           "duration_ms": round(seconds * 1000, 1)},
                )  # fmt: skip
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            log_format.request_id.reset(token)


def new_request_id() -> str:
    """32 hex digits from the process's Mersenne Twister (reseeded in each forked worker): an id
    to find a request's lines by, not a secret. ``uuid4`` reads the kernel's random source, a
    call that lets go of the interpreter lock: on the event loop, with the ballot writer's thread
    busy, each request then waited to win the lock back (0.1-0.3 ms a call beside a busy thread,
    against 0.6 µs for these digits)."""
    return f"{random.getrandbits(128):032x}"


def route_of(scope: Scope) -> str:
    """The matched route's template; ``/static`` for static files; ``unmatched`` otherwise."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    return "/static" if scope["path"].startswith("/static/") else "unmatched"


def _method(scope: Scope) -> str:
    method = str(scope["method"])
    return method if method in METHODS else "other"


def silence_uvicorn_access() -> None:
    """uvicorn's own access line names the client's address and the raw path; the app writes
    its own instead (``RequestLog``), however uvicorn was started."""
    logging.getLogger("uvicorn.access").disabled = True
