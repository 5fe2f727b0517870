from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.migrate import is_current
from app.web import monitoring
from app.web.deps import CatalogDep, SessionDep, StateDep
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["health"])


@router.get("/healthz")
def healthz(catalog: CatalogDep, session: SessionDep, app: StateDep) -> JSONResponse:
    """Liveness, database reachability and where rating limits are counted, for load
    balancers and monitoring: ``degraded`` (still 200) while Redis is configured but failing
    and each worker counts the limits on its own."""
    limits = app.rating_limits.state
    body: dict[str, Any] = {
        "status": "degraded" if limits == "degraded" else "ok",
        "surveys": len(catalog.surveys),
        "limits": limits,
    }
    try:
        session.connection().execute(text("SELECT 1"))
        body["database"] = "ok"
    except SQLAlchemyError:
        body.update(status="error", database="unreachable")
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)


@router.get("/readyz")
def readyz(session: SessionDep, app: StateDep) -> JSONResponse:
    """Whether this worker can take ballots now: its ballot writer runs and is not stopping,
    the database answers and its schema is the one this code expects. A load balancer sends
    no new requests to a worker that answers 503 here; ``/healthz`` stays the liveness check."""
    problems: dict[str, str] = {}
    if app.intake is None or app.stopping:
        problems["ballots"] = "stopping" if app.stopping else "not started"
    try:
        if not is_current(session.connection()):
            problems["migrations"] = "behind: run `hailong migrate`"
    except SQLAlchemyError:
        problems["database"] = "unreachable"
    if problems:
        return JSONResponse({"status": "not ready", **problems}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, session: SessionDep) -> Response:
    """Prometheus' text format, for the monitoring networks or an admin's API token
    (docs/operations.md lists what it holds)."""
    monitoring.allowed(request, session)
    return Response(monitoring.scrape(session), media_type=monitoring.CONTENT_TYPE_LATEST)
