"""Staff pages for an office: its QR code as an image and as a printable poster."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.scope import require_office
from app.offices import qr, service
from app.web.deps import SessionDep, SettingsDep
from app.web.identity import CurrentUser
from app.web.rendering import render
from app.web.routing import TransactionRoute

router = APIRouter(
    route_class=TransactionRoute, prefix="/staff/offices", tags=["staff"], include_in_schema=False
)

CounterQuery = Annotated[int | None, Query(ge=1, le=999)]


@router.get("/{code}/qr.{fmt}", response_class=Response)
def office_qr(
    code: str,
    fmt: Literal["png", "svg"],
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    counter: CounterQuery = None,
) -> Response:
    office = service.get_by_code(session, code)
    require_office(session, user, office)
    service.require_counter(session, office, counter)
    image = qr.qr_image(qr.survey_url(settings.public_url, office.code, counter), fmt)
    return Response(
        image,
        media_type=qr.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'inline; filename="qr-{office.code}.{fmt}"'},
    )


@router.get("/{code}/poster", response_class=HTMLResponse)
def office_poster(
    request: Request,
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    counter: CounterQuery = None,
) -> HTMLResponse:
    office = service.get_by_code(session, code)
    require_office(session, user, office)
    service.require_counter(session, office, counter)
    url = qr.survey_url(settings.public_url, office.code, counter)
    return render(
        request, "offices/poster.html", {"office": office, "counter": counter, "url": url}
    )
