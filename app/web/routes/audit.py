"""The audit log, for inspectors and admins: a page with filters, and the same events as CSV or
XLSX. Reading or exporting it is itself an export, and logged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from app.audit import service
from app.auth.scope import can_inspect, visible
from app.core.errors import Forbidden
from app.exports.audit_log import log_file
from app.exports.formats import MEDIA, marked_on_failure
from app.models import User
from app.offices.tree import load_tree
from app.web.deps import SessionDep, writes
from app.web.identity import CurrentUser, client_address
from app.web.openapi import api_errors, file_responses
from app.web.params import BeforeId, FromDay, PageFromDay, PageToDay, ToDay
from app.web.rendering import render
from app.web.routing import TransactionRoute
from app.web.state import state

router = APIRouter(
    route_class=TransactionRoute, tags=["audit"], responses=api_errors(400, 401, 403, 422, 431)
)


Action = Annotated[str | None, Query(max_length=32)]
Username = Annotated[str, Query(max_length=64)]


def audit_query(
    start: FromDay = None,
    end: ToDay = None,
    action: Action = None,
    username: Username = "",
    before: BeforeId = None,
) -> service.AuditQuery:
    return service.AuditQuery(start, end, action or None, username.strip(), before)


def page_query(
    start: PageFromDay = None,
    end: PageToDay = None,
    action: Action = None,
    username: Username = "",
    before: BeforeId = None,
) -> service.AuditQuery:
    """The log's page: its date fields as typed (dd/mm/yyyy)."""
    return audit_query(start, end, action, username, before)


AuditQueryDep = Annotated[service.AuditQuery, Depends(audit_query)]
PageQueryDep = Annotated[service.AuditQuery, Depends(page_query)]


def _reader(user: User) -> None:
    if not can_inspect(user):
        raise Forbidden(
            "Only inspectors and admins read the audit log",
            message_vi="Chỉ đoàn kiểm tra và quản trị được xem nhật ký.",
        )


@router.get("/staff/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_log(
    request: Request, session: SessionDep, user: CurrentUser, query: PageQueryDep
) -> HTMLResponse:
    _reader(user)
    tree = load_tree(session)
    events, older = service.page(session, visible(tree, user), query)
    context = {
        "events": events,
        "older": older,
        "query": query,
        "actions": service.ACTIONS,
        "offices": {i: code for i, (code, _, _) in tree.offices.items()},
    }
    return render(request, "audit/log.html", context, block="events")


@router.get("/api/v1/exports/audit.{fmt}", responses=file_responses("csv", "xlsx"))
@writes
def audit_file(
    request: Request,
    fmt: Literal["csv", "xlsx"],
    session: SessionDep,
    user: CurrentUser,
    query: AuditQueryDep,
) -> StreamingResponse:
    """The audit log (inspectors and admins, within their scope), oldest first, with the page's
    filters: ``from``, ``to`` (days, Vietnam time), ``action``, ``username``."""
    _reader(user)
    tree = load_tree(session)
    scope = visible(tree, user)
    address = client_address(request)
    service.record(session, user.username, "export", f"audit ({fmt})", address=address)

    def body() -> Iterator[bytes]:
        # Its own connection: the request's session is closed once the handler returns.
        with state(request).export_connection() as conn:
            yield from log_file(service.every(conn, scope, query), tree, fmt)

    return StreamingResponse(
        marked_on_failure(body(), fmt),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="nhat-ky.{fmt}"'},
    )
