"""Paths as the logs write them: a device's page (`/device/{token}`, the token is the device's
whole credential) and a rating link (`/r/{token}`, which carries the office, the dossier code
and the officer in clear) keep their kind and a short keyed fingerprint of the secret part,
enough to tell two requests of one device apart while debugging, never the secret itself."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from functools import lru_cache

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


class AccessLogRedaction(logging.Filter):
    """For uvicorn's access log, whose records carry the request's path as their third
    argument (client, method, path, HTTP version, status)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], self.redactor.path(args[2]), *args[3:])
        return True


def redact_access_log(redactor: Redactor) -> None:
    """Install the redaction on uvicorn's access log (once per process, whatever the apps)."""
    logger = logging.getLogger("uvicorn.access")
    for old in [f for f in logger.filters if isinstance(f, AccessLogRedaction)]:
        logger.removeFilter(old)
    logger.addFilter(AccessLogRedaction(redactor))
