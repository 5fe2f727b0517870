"""The cases page: a unit's cases with their due times; its head, inspectors and admins answer
them, take them in hand and close them. A case opens from a ballot's comment here too."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.cases import service as cases
from app.core.errors import Conflict, InvalidInput
from app.models.account import judges_unit
from app.models.cases import STATUSES
from app.offices.service import get_by_code
from app.web.deps import SessionDep
from app.web.identity import CsrfUser, CurrentUser, client_address, csrf_of
from app.web.params import BeforeId, CaseId, CaseStatus
from app.web.rendering import is_htmx, render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["cases"], include_in_schema=False)

FILTERS = {
    None: "Tất cả",
    "open": "Chưa trả lời",
    "overdue": "Quá hạn",
    "answered": "Đã trả lời",
    "closed": "Đã đóng",
}
DONE = {
    "answer": "Đã gửi câu trả lời; người dân xem được trên trang mã phiếu của mình.",
    "in_progress": "Đã nhận xử lý phản ánh.",
    "closed": "Đã đóng phản ánh.",
}


def _page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    code: str,
    status: str | None = None,
    before: int | None = None,
    *,
    notice: str = "",
    error: str = "",
    error_case: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    office = get_by_code(session, code)
    found = cases.list_cases(session, user, code, status, before)
    context = {
        "office": office,
        "cases": found,
        "status": status,
        "filters": FILTERS,
        "statuses": STATUSES,
        "handles": judges_unit(user),
        "csrf": csrf_of(request),
        "notice": notice,
        "error": error,
        "error_case": error_case,
        "next_before": found[-1].id if len(found) == cases.PAGE else None,
        "base": f"/staff/offices/{quote(office.code, safe='')}/cases",
    }
    return render(request, "cases/cases.html", context, block="cases", status_code=status_code)


@router.get("/staff/offices/{code}/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    code: str,
    session: SessionDep,
    user: CurrentUser,
    status: CaseStatus = None,
    before: BeforeId = None,
) -> HTMLResponse:
    return _page(request, session, user, code, status, before)


@router.post("/staff/offices/{code}/cases/{case_id}/{action}")
def act_on_case(
    request: Request,
    code: str,
    case_id: CaseId,
    action: Literal["answer", "in_progress", "closed"],
    session: SessionDep,
    user: CsrfUser,
    text: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    """Answer a case, take it in hand, or close it; back to the unit's cases."""
    address = client_address(request)
    try:
        if action == "answer":
            cases.answer(session, user, case_id, text, address)
        else:
            cases.set_status(session, user, case_id, action, address)
    except (InvalidInput, Conflict) as exc:
        if not is_htmx(request):
            raise
        return _page(
            request,
            session,
            user,
            code,
            error=exc.message_vi,
            error_case=case_id,
            status_code=exc.status_code,
        )
    if not is_htmx(request):
        url = f"/staff/offices/{quote(code, safe='')}/cases#case-{case_id}"
        return RedirectResponse(url, status_code=303)
    return _page(request, session, user, code, notice=DONE[action])


@router.post("/staff/ballots/{receipt}/case")
def case_from_comment(
    request: Request, receipt: str, session: SessionDep, user: CsrfUser
) -> Response:
    """Open a case from a ballot's comment, then show it among its unit's cases."""
    case = cases.open_from_comment(session, user, receipt, client_address(request))
    url = f"/staff/offices/{quote(case.office_code, safe='')}/cases#case-{case.id}"
    return RedirectResponse(url, status_code=303)
