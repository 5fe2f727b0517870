"""The ASGI application: ``hailong serve``, or ``uvicorn --factory app.main:create_app``."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.core.compress import Gzip
from app.core.config import Settings, get_settings
from app.core.db import get_engine
from app.core.edge import EdgeGuard
from app.core.errors import install_error_handlers
from app.core.memory import settle_heap
from app.core.templates import STATIC_DIR
from app.dashboards.cache import FiguresCache
from app.dashboards.home import router as staff_home
from app.dashboards.live import BallotWatch
from app.dashboards.push import Fragments, on_arrival
from app.dashboards.router import router as dashboards_router
from app.docs import router as docs_router
from app.exports.router import router as exports_api
from app.health import router as health_router
from app.intake.api import router as intake_api
from app.intake.kiosk import router as kiosk_pages
from app.intake.router import router as intake_pages
from app.intake.screens import router as device_pages
from app.integrity.pages import router as ballots_pages
from app.integrity.router import router as exclusions_api
from app.offices.router import router as offices_router
from app.responses.api import router as responses_api
from app.responses.intake import WriterIntake, intake_engine
from app.responses.router import router as responses_router
from app.responses.writer import GroupCommitWriter
from app.signals.background import run_scans
from app.signals.limiter import RatingLimits
from app.signals.router import router as signals_pages
from app.stats.api import router as stats_api
from app.surveys.catalog import SurveyCatalog, load_catalog
from app.surveys.service import register_catalog

log = logging.getLogger("hailong")

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


# hailong exports no OpenTelemetry data; without this FastAPI asks the environment whether a
# tracer is configured on every request.
FRAMEWORK_OPTIONS: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
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


def _register(catalog: SurveyCatalog) -> None:
    # Several workers start at once; the loser of a first-registration race just re-reads.
    for attempt in range(2):
        with Session(get_engine()) as session:
            try:
                register_catalog(session, catalog)
                session.commit()
                return
            except IntegrityError:
                session.rollback()
                if attempt:
                    raise


def create_app(settings: Settings | None = None, *, register_surveys: bool = True) -> FastAPI:
    settings = settings or get_settings()
    catalog = load_catalog(settings.surveys_dir, settings.default_survey)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Pages and API reads run in threads that share one interpreter lock with the event
        # loop, which takes ballots and feeds live streams: a few dozen busy threads make every
        # loop turn wait its turn behind them. A handful keeps two cores busy.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if register_surveys:
            await run_in_threadpool(_register, catalog)
        writer = None
        if getattr(app.state, "intake", None) is None:  # tests bring their own
            engine = intake_engine(settings.database_url, settings.writer_threads)
            writer = GroupCommitWriter(engine, threads=settings.writer_threads)
            writer.start()
            app.state.intake = WriterIntake(engine, catalog, writer)
        limits: RatingLimits = app.state.rating_limits
        await limits.check_storage()
        if settings.workers > 1 and limits.shared is None:
            log.warning(
                "%d workers and no HAILONG_REDIS_URL: each worker counts rating limits on its "
                "own, so a sender gets %d times the limits. Set HAILONG_REDIS_URL.",
                settings.workers,
                settings.workers,
            )
        scans = None
        if settings.signals_scan_seconds:
            scans = asyncio.create_task(run_scans(get_engine(), settings.signals_scan_seconds))
        settle_heap()
        try:
            yield
        finally:
            if scans is not None:
                scans.cancel()
            await app.state.ballot_watch.stop()
            if writer is not None:
                await run_in_threadpool(writer.stop)
                writer.engine.dispose()

    app = FastAPI(
        **FRAMEWORK_OPTIONS,
        title="hailong",
        version=__version__,
        summary="Citizen satisfaction surveys for one-stop public administration units",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.catalog = catalog
    app.state.settings = settings
    app.state.figures_cache = FiguresCache()
    app.state.fragments = Fragments()
    app.state.ballot_watch = BallotWatch(
        get_engine(), on_arrival=on_arrival(app.state.figures_cache, app.state.fragments)
    )
    app.state.live_stream_seconds = settings.live_stream_seconds
    app.state.ballot_watch.max_streams = settings.max_streams
    app.state.rating_limits = RatingLimits(settings)
    # Exports stream after the request's session is closed: they read on a connection of their own.
    app.state.export_connection = lambda: get_engine().connect()
    install_error_handlers(app)
    app.include_router(responses_router)
    app.include_router(responses_api)
    app.include_router(intake_pages)
    app.include_router(intake_api)
    app.include_router(device_pages)
    app.include_router(kiosk_pages)
    app.include_router(dashboards_router)
    app.include_router(offices_router)
    app.include_router(auth_router)
    app.include_router(staff_home)
    app.include_router(audit_router)
    app.include_router(ballots_pages)
    app.include_router(signals_pages)
    app.include_router(stats_api)
    app.include_router(exclusions_api)
    app.include_router(exports_api)
    app.include_router(health_router)
    app.include_router(docs_router)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    app.add_middleware(GZipPages)
    app.add_middleware(EdgeGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app
