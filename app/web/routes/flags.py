"""The flags page: inspectors review suspicious ratings of a sub-tree, cluster by cluster."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.errors import InvalidInput
from app.integrity import cluster_decisions, triage
from app.signals.rules import RULES
from app.web.deps import CatalogDep, SessionDep, SettingsDep
from app.web.identity import CsrfUser, CurrentUser, client_address, csrf_of
from app.web.rendering import is_htmx, render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["signals"], include_in_schema=False)

ClusterKey = Annotated[str, Form(max_length=200)]
Reason = Annotated[str, Form(max_length=4000)]
# The number of ballots the inspector saw and ticked to confirm.
Confirmed = Annotated[int | None, Form(ge=0, le=10_000_000)]
DONE = {
    "exclusion": "Đã loại {n} phiếu khỏi thống kê.",
    "review": "Đã ghi nhận {n} phiếu hợp lệ.",
    "reinstatement": "Đã đưa {n} phiếu trở lại thống kê.",
}


def _page(
    request: Request,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    user: CurrentUser,
    code: str | None,
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
        "excluded": cluster_decisions.excluded_clusters(session, user, code),
        "flagged": flagged,
        "rules": RULES,
        "explain": triage.explain,
        "csrf": csrf_of(request),
        "notice": notice,
        "error": error,
        "base": _base(code),
    }
    return render(request, "flags/flags.html", context, block="clusters", status_code=status_code)


def _base(code: str | None) -> str:
    """Where a triage page's decisions are sent: under the office, or for every office the
    inspector sees, under /staff."""
    return f"/staff/offices/{quote(code, safe='')}" if code is not None else "/staff"


@router.get("/staff/flags", response_class=HTMLResponse)
@router.get("/staff/offices/{code}/flags", response_class=HTMLResponse)
def flags_page(
    request: Request,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    user: CurrentUser,
    code: str | None = None,
) -> HTMLResponse:
    """Flagged ratings awaiting review in an office's sub-tree, or in every office the
    inspector sees."""
    return _page(request, session, catalog, settings, user, code)


@router.post("/staff/flags/{decision}")
@router.post("/staff/offices/{code}/flags/{decision}")
def decide_cluster(
    request: Request,
    decision: str,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    user: CsrfUser,
    cluster: ClusterKey = "",
    reason: Reason = "",
    confirm: Confirmed = None,
    code: str | None = None,
) -> Response:
    """Exclude a cluster's ballots (``exclusion``), find it legitimate (``review``), or put an
    excluded cluster back (``reinstatement``)."""
    if decision not in DONE:
        raise InvalidInput("decision: exclusion, review or reinstatement")
    address = client_address(request)
    try:
        if decision == "reinstatement":
            n = cluster_decisions.reinstate(
                session, catalog, user, code, cluster, reason, address, confirmed=confirm
            )
        else:
            chosen = "exclude" if decision == "exclusion" else "legitimate"
            n = cluster_decisions.decide(
                session, catalog, user, code, cluster, chosen, reason, address, confirmed=confirm
            )
    except InvalidInput as exc:
        if not is_htmx(request):
            raise
        return _page(
            request, session, catalog, settings, user, code, error=exc.message_vi, status_code=422
        )
    if not is_htmx(request):
        return RedirectResponse(f"{_base(code)}/flags", status_code=303)
    notice = DONE[decision].format(n=n)
    return _page(request, session, catalog, settings, user, code, notice=notice)
