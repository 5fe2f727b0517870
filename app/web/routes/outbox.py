"""The outbox page (admins): mails and webhook calls waiting, given up after their last retry,
or delivered; what was given up is sent again from here."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.errors import Forbidden
from app.models import User
from app.outbox import admin
from app.web.deps import SessionDep
from app.web.identity import CsrfUser, CurrentUser, client_address, csrf_of
from app.web.rendering import render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["outbox"], include_in_schema=False)

State = Annotated[Literal["waiting", "gave_up", "delivered"], Query()]


def _admin(user: User) -> None:
    if user.role != "admin":
        raise Forbidden(
            "admins only", message_vi="Chỉ quản trị hệ thống xem được thư và sự kiện gửi đi."
        )


@router.get("/staff/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request, session: SessionDep, user: CurrentUser, state: State = "gave_up"
) -> HTMLResponse:
    _admin(user)
    context = {
        "counts": admin.counts(session),
        "lines": admin.lines(session, state),
        "state": state,
        "states": admin.STATES,
        "csrf": csrf_of(request),
    }
    return render(request, "outbox/outbox.html", context)


@router.post("/staff/outbox/retry")
def retry(
    request: Request,
    session: SessionDep,
    user: CsrfUser,
    message: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
) -> Response:
    """Send one given-up message again, or all of them."""
    _admin(user)
    admin.retry(session, [message] if message else None, user.username, client_address(request))
    return RedirectResponse("/staff/outbox?state=waiting", status_code=303)
