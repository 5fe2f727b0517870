"""Cases through the API: a sub-tree's cases, one case, answering it, moving it on, opening one
from a ballot's comment (session or bearer token)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.cases import service as cases
from app.web.deps import SessionDep
from app.web.identity import CsrfUser, CurrentUser, client_address
from app.web.openapi import api_errors
from app.web.params import BeforeId, CaseId, CaseStatus
from app.web.routing import TransactionRoute

router = APIRouter(
    route_class=TransactionRoute,
    prefix="/api/v1",
    tags=["cases"],
    responses=api_errors(400, 401, 403, 404, 409, 413, 422, 431),
)


class AnswerBody(BaseModel):
    text: str = Field(min_length=1, max_length=8000, description="The answer, in Vietnamese")


class StatusBody(BaseModel):
    status: Literal["in_progress", "closed"]


@router.get("/offices/{code}/cases")
def office_cases(
    code: str,
    session: SessionDep,
    user: CurrentUser,
    status: CaseStatus = None,
    before: BeforeId = None,
) -> dict[str, Any]:
    """The sub-tree's cases, newest first, a page of 100 (``before``: the last id seen). An
    officer who is not the unit's head gets them without receipt, contact or officer."""
    found = cases.list_cases(session, user, code, status, before)
    return {
        "cases": [case.public() for case in found],
        "next_before": found[-1].id if len(found) == cases.PAGE else None,
    }


@router.get("/cases/{case_id}")
def one_case(case_id: CaseId, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return cases.get_case(session, user, case_id).public()


@router.post("/cases/{case_id}/answer")
def answer_case(
    request: Request, case_id: CaseId, body: AnswerBody, session: SessionDep, user: CsrfUser
) -> dict[str, Any]:
    """Answer a case (the unit's head, inspectors, admins); the citizen reads it on their
    receipt page."""
    return cases.answer(session, user, case_id, body.text, client_address(request)).public()


@router.post("/cases/{case_id}/status")
def case_status(
    request: Request, case_id: CaseId, body: StatusBody, session: SessionDep, user: CsrfUser
) -> dict[str, Any]:
    """Take a new case in hand, or close an answered one."""
    return cases.set_status(session, user, case_id, body.status, client_address(request)).public()


@router.post("/ballots/{receipt}/case", status_code=201)
def case_from_comment(
    request: Request, receipt: str, session: SessionDep, user: CsrfUser
) -> dict[str, Any]:
    """Open a case from a ballot's comment (the ballot's case if it has one already)."""
    return cases.open_from_comment(session, user, receipt, client_address(request)).public()
