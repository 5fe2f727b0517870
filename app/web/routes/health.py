from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.web.deps import CatalogDep, SessionDep
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["health"])


@router.get("/healthz")
def healthz(catalog: CatalogDep, session: SessionDep) -> JSONResponse:
    """Liveness and database reachability, for load balancers and monitoring."""
    body: dict[str, Any] = {"status": "ok", "surveys": len(catalog.surveys)}
    try:
        session.connection().execute(text("SELECT 1"))
        body["database"] = "ok"
    except SQLAlchemyError:
        body.update(status="error", database="unreachable")
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
