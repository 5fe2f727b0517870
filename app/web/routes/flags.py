"""The flags page: inspectors review suspicious ratings of a sub-tree, cluster by cluster."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.errors import InvalidInput
from app.integrity import triage
from app.signals.rules import RULES
from app.web.deps import CatalogDep, SessionDep, SettingsDep
from app.web.identity import CsrfUser, CurrentUser, client_address, csrf_of
from app.web.rendering import is_htmx, render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["signals"], include_in_schema=False)

ClusterKey = Annotated[str, Form(max_length=200)]
Reason = Annotated[str, Form(max_length=4000)]


def _page(
    request: Request,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    user: CurrentUser,
    code: str,
    *,
    notice: str = "",
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    office, found, flagged = triage.clusters(
        session, catalog, user, code, min_responses=settings.min_responses
    )
    context = {
        "office": office,
        "clusters": found,
        "flagged": flagged,
        "rules": RULES,
        "explain": triage.explain,
        "csrf": csrf_of(request),
        "notice": notice,
        "error": error,
        "base": f"/staff/offices/{quote(office.code, safe='')}",
    }
    return render(request, "flags/flags.html", context, block="clusters", status_code=status_code)


@router.get("/staff/offices/{code}/flags", response_class=HTMLResponse)
def flags_page(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> HTMLResponse:
    return _page(request, session, catalog, settings, user, code)


@router.post("/staff/offices/{code}/flags/{decision}")
def decide_cluster(
    request: Request,
    code: str,
    decision: str,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    user: CsrfUser,
    cluster: ClusterKey = "",
    reason: Reason = "",
) -> Response:
    """Exclude a cluster's ballots (``exclusion``) or find it legitimate (``review``)."""
    chosen = {"exclusion": "exclude", "review": "legitimate"}.get(decision)
    if chosen is None:
        raise InvalidInput("decision: exclusion or review")
    try:
        n = triage.decide(
            session, catalog, user, code, cluster, chosen, reason, client_address(request)
        )
    except InvalidInput as exc:
        if not is_htmx(request):
            raise
        return _page(
            request, session, catalog, settings, user, code, error=exc.message_vi, status_code=422
        )
    if not is_htmx(request):
        return RedirectResponse(f"/staff/offices/{quote(code, safe='')}/flags", status_code=303)
    done = "Đã loại" if chosen == "exclude" else "Đã ghi nhận hợp lệ"
    return _page(request, session, catalog, settings, user, code, notice=f"{done} {n} phiếu.")
