"""The audit log, for inspectors and admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.audit import service
from app.auth.deps import CurrentUser
from app.core.deps import SessionDep
from app.core.templates import render
from app.integrity.exclusions import Forbidden

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    if user.role not in ("inspector", "admin"):
        raise Forbidden("Only inspectors and admins read the audit log")
    return render(request, "audit/log.html", {"events": service.recent(session)})
