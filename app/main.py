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

from app import __version__
from app.ballots.intake import WriterIntake, intake_engine
from app.ballots.writer import GroupCommitWriter
from app.core import metrics
from app.core.config import Settings, get_settings
from app.core.db import get_engine
from app.core.memory import settle_heap
from app.dashboards.ballot_watch import BallotWatch
from app.dashboards.cache import FiguresCache
from app.dashboards.push import Fragments, on_arrival
from app.notices.background import run_notices
from app.signals.background import run_scans
from app.signals.limiter import RatingLimits
from app.sources.links import Keys
from app.stats import changes
from app.surveys.catalog import SurveyCatalog, load_catalog
from app.surveys.service import register_catalog
from app.transparency.cosigning import Peer
from app.transparency.note import NoteError, Signer
from app.transparency.sequencer import log_keys, run_log
from app.web.edge import EdgeGuard
from app.web.errors import install_error_handlers
from app.web.logs import Redactor, RequestLog, silence_uvicorn_access
from app.web.middleware import CachedStatic, GZipPages, SecurityHeaders
from app.web.public_replay import PublicReplay
from app.web.rendering import STATIC_DIR
from app.web.routes import (
    audit,
    auth,
    ballots_api,
    cases,
    cases_api,
    citizen,
    dashboards,
    devices,
    docs,
    exclusions_api,
    exports,
    figures_api,
    flags,
    health,
    home,
    integrity,
    links,
    offices,
    outbox,
    public_log,
    public_results,
    sources_api,
)
from app.web.state import AppState
from app.web.stopping import on_stop

log = logging.getLogger("hailong")

# hailong exports no OpenTelemetry data; without this FastAPI asks the environment whether a
# tracer is configured on every request.
FRAMEWORK_OPTIONS: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
)
# The routers are tried in this order for every request, each route passed over costing ~0.7
# µs: what citizens send most (the open form, then a dossier's link) comes first.
ROUTES = (
    citizen,
    links,
    ballots_api,
    sources_api,
    devices,
    dashboards,
    offices,
    auth,
    home,
    audit,
    integrity,
    flags,
    cases,
    cases_api,
    outbox,
    figures_api,
    exclusions_api,
    exports,
    health,
    docs,
    public_log,
    public_results,
)


def _log_keys(settings: Settings) -> tuple[Signer | None, list[Peer]]:
    """A key file or witness that is not one stops the app at start, naming the setting."""
    try:
        return log_keys(settings)
    except NoteError as exc:
        raise RuntimeError(str(exc)) from exc


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
    signer, peers = _log_keys(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Pages and API reads run in threads that share one interpreter lock with the event
        # loop, which takes ballots and feeds live streams: a few dozen busy threads make every
        # loop turn wait its turn behind them. A handful keeps two cores busy.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if register_surveys:
            await run_in_threadpool(_register, catalog)
        writer = None
        hailong: AppState = app.state.hailong
        if hailong.intake is None:  # tests bring their own
            engine = intake_engine(settings.database_url, settings.ballot_writers)
            metrics.watch_pool(engine, "ballots")
            writer = GroupCommitWriter(engine, threads=settings.ballot_writers)
            writer.start()
            hailong.intake = WriterIntake(engine, catalog, writer)
        limits = hailong.rating_limits
        # Never waited for: a Redis that hangs must not keep the worker from listening.
        checking = asyncio.create_task(limits.check_storage())
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
        logging_task = None
        if settings.log_seconds:
            logging_task = asyncio.create_task(
                run_log(get_engine(), signer, settings.log_seconds, peers)
            )
        told = None
        if settings.notices_seconds:
            told = asyncio.create_task(
                run_notices(get_engine(), catalog, settings, settings.notices_seconds)
            )
        settle_heap()
        restore_signals = on_stop(hailong)
        try:
            yield
        finally:
            restore_signals()
            checking.cancel()
            if scans is not None:
                scans.cancel()
            if told is not None:
                told.cancel()
            if logging_task is not None:
                logging_task.cancel()
            await hailong.ballot_watch.stop()
            if writer is not None:
                await run_in_threadpool(writer.stop)
                writer.engine.dispose()
            metrics.forget_this_process()

    app = FastAPI(
        **FRAMEWORK_OPTIONS,
        title="hailong",
        version=__version__,
        summary="Citizen satisfaction surveys for one-stop public administration units",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    metrics.watch_pool(get_engine(), "pages")
    redactor = Redactor(settings.secret_key.get_secret_value())
    silence_uvicorn_access()
    figures_cache, fragments = FiguresCache(), Fragments()
    watch = BallotWatch(get_engine(), on_arrival=on_arrival(figures_cache, fragments))
    watch.max_streams = settings.max_streams
    app.state.hailong = hailong = AppState(
        settings=settings,
        catalog=catalog,
        keys=Keys.from_secret(
            settings.secret_key, settings.counter_qr_seconds, settings.form_minutes
        ),
        rating_limits=RatingLimits(settings),
        figures_cache=figures_cache,
        fragments=fragments,
        ballot_watch=watch,
        live_stream_seconds=settings.live_stream_seconds,
        export_connection=lambda: get_engine().connect(),
        redactor=redactor,
        log_key=signer.verifier_key() if signer else None,
    )
    changes.subscribe(hailong.figures_changed)
    install_error_handlers(app)
    for module in ROUTES:
        app.include_router(module.router)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    app.add_middleware(GZipPages)
    app.add_middleware(EdgeGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(PublicReplay, state=hailong)
    app.add_middleware(RequestLog)
    return app
