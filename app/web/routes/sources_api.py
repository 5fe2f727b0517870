"""The API for one-stop software (dossiers, what a counter serves) and for issuing integrations
and devices (admins, and inspectors for their sub-tree; never the officers being graded)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from app.sources import dossiers, issuing
from app.sources.dossiers import DossierIn, DossierOut
from app.sources.issuing import Issued
from app.web.deps import KeysDep, PublicUrl, SessionDep
from app.web.identity import CsrfUser, CurrentIntegration
from app.web.openapi import api_errors
from app.web.routing import TransactionRoute

router = APIRouter(
    route_class=TransactionRoute,
    prefix="/api/v1",
    tags=["integrations"],
    responses=api_errors(400, 401, 403, 413, 422, 431),
)

DossierCode = Annotated[str, Path(max_length=64, description="Mã hồ sơ")]


@router.put(
    "/offices/{code}/dossiers/{dossier_code}",
    status_code=201,
    response_model=DossierOut,
    responses={200: {"model": DossierOut, "description": "Updated; a fresh link"}},
)
def put_dossier(
    code: str,
    dossier_code: DossierCode,
    body: DossierIn,
    response: Response,
    session: SessionDep,
    keys: KeysDep,
    public_url: PublicUrl,
    integration: CurrentIntegration,
) -> DossierOut:
    """Register a dossier (201) or update what is known of it (200), and get its rating link
    for the receipt slip or an SMS. Integration tokens only."""
    found, created = dossiers.register(
        session, keys, public_url, integration, code, dossier_code, body
    )
    if not created:
        response.status_code = 200
    return found


class CounterNow(BaseModel):
    dossier_code: str | None = Field(default=None, max_length=64, description="Mã hồ sơ")
    officer_code: str | None = Field(default=None, max_length=32)
    officer_name: str | None = Field(default=None, min_length=1, max_length=120)

    model_config = {"extra": "forbid"}


class CounterServed(BaseModel):
    office: str
    counter: int
    officer_name: str | None
    dossier_bound_for_minutes: int = Field(
        description="A rating through the counter screen within this time is bound to the dossier"
    )


@router.put("/offices/{code}/counters/{counter}/current", response_model=CounterServed)
def put_counter_current(
    code: str,
    counter: Annotated[int, Path(ge=1, le=999)],
    body: CounterNow,
    session: SessionDep,
    keys: KeysDep,
    integration: CurrentIntegration,
) -> CounterServed:
    """Announce what a counter is serving now: the counter screen shows the officer, and a
    rating cast through its QR soon after is bound to the dossier (one rating per dossier)."""
    minutes = issuing.announce_counter(
        session,
        keys,
        integration,
        code,
        counter,
        dossier_code=body.dossier_code,
        officer_code=body.officer_code,
        officer_name=body.officer_name,
    )
    return CounterServed(
        office=code,
        counter=counter,
        officer_name=body.officer_name,
        dossier_bound_for_minutes=int(minutes / timedelta(minutes=1)),
    )


class IntegrationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    office: str = Field(max_length=64, description="Its scope: this office's sub-tree")
    public_key: str | None = Field(
        default=None, max_length=400, description="Ed25519 public key (PEM or base64)"
    )


class DeviceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    office: str = Field(max_length=64)
    kind: Literal["counter-screen", "kiosk", "display"]
    counter: int | None = Field(default=None, ge=1, le=999)


@router.post(
    "/integrations", status_code=201, response_model=Issued, responses=api_errors(404, 409)
)
def create_integration(body: IntegrationCreate, session: SessionDep, user: CsrfUser) -> Issued:
    """Issue an integration token for one-stop software (admins; inspectors in their scope)."""
    return issuing.issue_integration(session, user, body.name, body.office, body.public_key)


@router.post("/devices", status_code=201, response_model=Issued, responses=api_errors(404, 409))
def create_device(
    body: DeviceCreate, session: SessionDep, user: CsrfUser, keys: KeysDep, public_url: PublicUrl
) -> Issued:
    """Issue a device: a counter screen, a kiosk or a lobby display (admins; inspectors in
    their scope). A counter screen's or kiosk's ``url`` carries its own secret after ``#k=``:
    open that address once on the device."""
    return issuing.issue_device(
        session, user, keys, public_url, body.name, body.office, body.kind, body.counter
    )
