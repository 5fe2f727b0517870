"""The kiosk: a tablet on a stand by the counter, showing the unit's form full screen. Opened with
the kiosk's own address (its device token), so its ballots say they came from it; after the
thank-you it opens a fresh form by itself, and nothing of one person's rating stays for the
next (no receipt in the address bar or the history, a new idempotency key each form)."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.core.routing import TransactionRoute
from app.core.templates import render
from app.intake import service
from app.responses.intake import IntakeDep
from app.responses.offices import Provenance, load_office_info
from app.responses.router import DEVICE_PAGE, form_context, read_form, take_ballot
from app.responses.validation import submission_from_form
from app.signals import gate
from app.surveys.catalog import SurveyCatalog

router = APIRouter(route_class=TransactionRoute, tags=["devices"], include_in_schema=False)


def address(token: str) -> str:
    return f"/device/{quote(token, safe='')}"


def form_page(
    request: Request,
    session: Session,
    catalog: SurveyCatalog,
    device: service.Credential,
    token: str,
    lang: str,
) -> HTMLResponse:
    office = load_office_info(session, catalog, device.office_code)
    context = form_context(
        office,
        lang=lang,
        counter=None,
        idem=uuid.uuid4().hex,
        action=address(token),
        stamp=gate.stamp_for(request, office.id),
        kiosk=True,
    )
    return render(request, "responses/form.html", context, headers=DEVICE_PAGE)


@router.post("/device/{token}", response_class=HTMLResponse)
async def kiosk_submit(
    request: Request,
    token: str,
    intake: IntakeDep,
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    # Async on purpose, as the open form: the request waits for the writer, not for a thread.
    device = await intake.credential(token)
    if device is None or device.kind != "kiosk":
        raise service.DeviceNotFound("No such kiosk, or it was revoked")
    office = await intake.office(device.office_code)
    # One device rated on by many citizens: not limited per sender (as the kiosk API).
    observed = await gate.admit(request, office.id, form, limited=False)
    return await take_ballot(
        request,
        intake,
        office,
        form,
        submission_from_form(form),
        observed=observed,
        provenance=Provenance(source="kiosk", device_id=device.id),
        action=address(token),
        kiosk=True,
    )
