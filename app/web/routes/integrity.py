"""The ballots page: inspectors find a ballot and exclude it from the statistics, or reinstate
it, with a written reason. Officers see the same list without the buttons."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.scope import can_inspect
from app.core.errors import Conflict, InvalidInput
from app.integrity import ballot_list as ballots
from app.integrity.exclusions import decide, find
from app.models.account import judges_unit
from app.models.sources import SOURCES
from app.offices.tree import load_tree
from app.web.deps import CatalogDep, SessionDep
from app.web.identity import CsrfUser, CurrentUser, client_address, csrf_of
from app.web.params import BeforeId, PageFromDay, PageToDay
from app.web.rendering import is_htmx, render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["exclusions"], include_in_schema=False)


def ballot_query(
    start: PageFromDay = None,
    end: PageToDay = None,
    survey: Annotated[str | None, Query(max_length=64)] = None,
    receipt: Annotated[str, Query(max_length=32)] = "",
    excluded: bool = False,
    before: BeforeId = None,
    source: Annotated[Literal["open", "counter", "dossier", "kiosk"] | None, Query()] = None,
) -> ballots.BallotQuery:
    return ballots.BallotQuery(start, end, survey, receipt.strip(), excluded, before, source)


@router.get("/staff/offices/{code}/ballots", response_class=HTMLResponse)
def ballot_list(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    query: Annotated[ballots.BallotQuery, Depends(ballot_query)],
) -> HTMLResponse:
    context = ballots.ballots_page(session, catalog, user, code, query)
    context["csrf"] = csrf_of(request)
    return render(request, "integrity/ballots.html", context, block="rows")


def _back(target: str) -> str:
    """Only back to one of our own staff pages, never to another site."""
    return target if target.startswith("/staff/") and "//" not in target else "/staff"


def _decision(
    request: Request,
    receipt: str,
    reason: str,
    back: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CsrfUser,
    *,
    exclude: bool,
) -> Response:
    address = client_address(request)
    error = None
    try:
        ballot = decide(session, catalog, user, receipt, reason, exclude=exclude, address=address)
    except (InvalidInput, Conflict) as exc:
        if not is_htmx(request):
            raise
        error = (
            ("Phiếu này đã bị loại trước đó." if exclude else "Phiếu này đang được tính.")
            if isinstance(exc, Conflict)
            else exc.message_vi
        )
        ballot = find(session, receipt, user)
    if not is_htmx(request):
        return RedirectResponse(_back(back), status_code=303)
    row = ballots.one(session, catalog, load_tree(session), ballot)
    context = {
        "row": row,
        "may_decide": can_inspect(user),
        "opens_cases": judges_unit(user),
        "csrf": csrf_of(request),
        "back": back,
        "sources": SOURCES,
        "show_officers": judges_unit(user),
    }
    context["error"] = error
    return render(request, "integrity/_ballot.html", context, status_code=422 if error else 200)


Reason = Annotated[str, Form(max_length=4000)]
Back = Annotated[str, Form(alias="next", max_length=500)]


@router.post("/staff/ballots/{receipt}/exclusion")
def exclude_form(
    request: Request,
    receipt: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CsrfUser,
    reason: Reason = "",
    back: Back = "/staff",
) -> Response:
    return _decision(request, receipt, reason, back, session, catalog, user, exclude=True)


@router.post("/staff/ballots/{receipt}/reinstatement")
def reinstate_form(
    request: Request,
    receipt: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CsrfUser,
    reason: Reason = "",
    back: Back = "/staff",
) -> Response:
    return _decision(request, receipt, reason, back, session, catalog, user, exclude=False)
