"""Excluding ballots from the statistics (and reinstating them), through the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.integrity.exclusions import decide
from app.web.deps import CatalogDep, SessionDep
from app.web.identity import CsrfUser, client_address
from app.web.openapi import api_errors
from app.web.routing import TransactionRoute

router = APIRouter(
    route_class=TransactionRoute,
    prefix="/api/v1",
    tags=["exclusions"],
    responses=api_errors(400, 401, 403, 404, 409, 413, 422, 431),
)


class Decision(BaseModel):
    reason: str = Field(min_length=5, max_length=2000, description="Why, in words")


def _address(request: Request) -> str:
    return client_address(request)


def _decide(
    request: Request,
    receipt: str,
    body: Decision,
    session: Any,
    catalog: Any,
    user: Any,
    *,
    exclude: bool,
) -> dict[str, Any]:
    ballot = decide(
        session, catalog, user, receipt, body.reason, exclude=exclude, address=_address(request)
    )
    return {"receipt": ballot.receipt, "excluded": exclude, "reason": body.reason.strip()}


@router.post("/ballots/{receipt}/exclusion", status_code=201)
def exclude_ballot(
    request: Request,
    receipt: str,
    body: Decision,
    session: SessionDep,
    catalog: CatalogDep,
    user: CsrfUser,
) -> dict[str, Any]:
    """Exclude a ballot from the figures (inspectors and admins; the ballot stays stored)."""
    return _decide(request, receipt, body, session, catalog, user, exclude=True)


@router.post("/ballots/{receipt}/reinstatement")
def reinstate_ballot(
    request: Request,
    receipt: str,
    body: Decision,
    session: SessionDep,
    catalog: CatalogDep,
    user: CsrfUser,
) -> dict[str, Any]:
    """Count an excluded ballot in the figures again, with a reason."""
    return _decide(request, receipt, body, session, catalog, user, exclude=False)
