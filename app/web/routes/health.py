from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

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
