from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import get_engine
from app.core.deps import CatalogDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(catalog: CatalogDep) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok", "surveys": len(catalog.surveys)}
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        body["database"] = "ok"
    except SQLAlchemyError:
        body.update(status="error", database="unreachable")
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
