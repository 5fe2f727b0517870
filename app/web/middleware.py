"""The app's own middleware: security headers on every answer, compression of what is read, and
static files that can be kept forever."""

from __future__ import annotations

from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.compress import Gzip

# Everything is served from this host: offices often sit on intranet-only networks, and a page
# that cannot reach a CDN must not half-load.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Swagger UI boots from an inline script; only the docs page gets that allowance.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


# Staff pages and API answers hold figures and ballots a shared office computer must not keep.
PRIVATE_PATHS = ("/staff", "/api/", "/login", "/logout")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        path = scope["path"]
        csp = (DOCS_CSP if path == "/docs" else CSP).encode()
        private = path.startswith(PRIVATE_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if private and not any(name == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                # A page whose address is a credential (a device's) sets its own, stricter one.
                if not any(name == b"referrer-policy" for name, _ in headers):
                    headers.append((b"referrer-policy", b"same-origin"))
                headers += [
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class GZipPages:
    """Compress what is read (pages, static files), not the answers to ballot posts: those are
    redirects or small partials, and compressing them costs more than it saves. Nor the export
    files: hundreds of megabytes would be compressed for nothing (the XLSX already is)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = Gzip(app, minimum_size=800)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope["path"].startswith("/api/v1/exports/")
            and not scope["path"].endswith("/events")  # live streams: nothing to compress
        ):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class CachedStatic(StaticFiles):
    """Static files are addressed with a content hash (``?v=``), so they can be kept forever."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200 and b"v=" in scope.get("query_string", b""):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
