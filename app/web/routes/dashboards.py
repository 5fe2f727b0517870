"""The officers' dashboards: an office, its children, the lobby display, and live updates."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from app.auth.scope import can_inspect, require_office
from app.dashboards import push, reports, views
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats.periods import Length
from app.web import live
from app.web.deps import CatalogDep, PublicUrl, SessionDep, SettingsDep
from app.web.identity import CurrentUser
from app.web.params import PageFromDay, PageToDay
from app.web.rendering import render
from app.web.routing import TransactionRoute
from app.web.state import state

router = APIRouter(
    route_class=TransactionRoute,
    prefix="/staff/offices",
    tags=["dashboards"],
    include_in_schema=False,
)

PeriodQuery = Annotated[Length | None, Query(alias="period")]
Survey = Annotated[str | None, Query(max_length=64)]


def dashboard_query(
    settings: SettingsDep,
    length: PeriodQuery = None,
    start: PageFromDay = None,
    end: PageToDay = None,
    survey: Survey = None,
) -> views.Query:
    return views.Query(
        length=length or "month",
        start=start,
        end=end,
        survey=survey,
        min_responses=settings.min_responses,
        chosen=bool(length or start or end),
    )


QueryDep = Annotated[views.Query, Depends(dashboard_query)]


@router.get("/{code}", response_class=HTMLResponse)
def office_dashboard(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    query: QueryDep,
) -> HTMLResponse:
    cache = state(request).figures_cache
    context = views.office_page(session, catalog, user, code, query, cache=cache)
    return render(request, "dashboards/office.html", context, block="figures")


@router.get("/{code}/display", response_class=HTMLResponse)
def lobby_display(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    public_url: PublicUrl,
) -> HTMLResponse:
    """What the lobby display of the office shows, for staff to see before putting it on a TV
    (which opens it with a display device's address, never a staff session)."""
    office = get_by_code(session, code)
    require_office(session, user, office)
    cache = state(request).figures_cache
    context = views.lobby_page(session, catalog, office.id or 0, public_url, cache)
    base = f"/staff/offices/{quote(office.code, safe='')}"
    context |= {"events_url": f"{base}/events?view=display", "refresh_url": f"{base}/display"}
    return render(request, "dashboards/lobby.html", context, block="figures")


@router.get("/{code}/report", response_class=HTMLResponse)
def printable_report(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    query: QueryDep,
) -> HTMLResponse:
    """The figures in the shape of an official report, for A4 paper (print from the browser)."""
    context = views.office_page(session, catalog, user, code, query, comments=50)
    return render(request, "dashboards/report.html", context)


@router.get("/{code}/units/report", response_class=HTMLResponse)
def units_report(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    query: QueryDep,
) -> HTMLResponse:
    """The units' ranking as an official report, for A4 paper (print from the browser)."""
    context = reports.units_report(session, catalog, user, code, query)
    return render(request, "dashboards/ranking.html", context)


@router.get("/{code}/children", response_class=HTMLResponse)
def children_table(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    query: QueryDep,
    sort: Annotated[str, Query(max_length=16)] = "rank",
) -> HTMLResponse:
    context = views.children_page(session, catalog, user, code, query, sort)
    return render(request, "dashboards/children.html", context, block="table")


@router.get("/{code}/units", response_class=HTMLResponse)
def units_table(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    query: QueryDep,
    sort: Annotated[str, Query(max_length=16)] = "rank",
) -> HTMLResponse:
    """Every one-stop unit of the sub-tree in one ranked table, with the downloads: the
    inspectors' page."""
    context = views.children_page(session, catalog, user, code, query, sort, units=True)
    return render(request, "dashboards/children.html", context, block="table")


View = Annotated[Literal["office", "display"], Query()]


def watched(
    request: Request,
    code: str,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    query: QueryDep,
    view: View = "office",
) -> push.Watched:
    """The scope check, done before the stream starts (and with the request's session), and
    what the stream will push."""
    office = get_by_code(session, code)
    require_office(session, user, office)
    cache = state(request).figures_cache
    offices = frozenset(load_tree(session).subtree(office.id or 0))
    if view == "display":  # the public block, the same for every display of the office
        return live.lobby_watched(office.id or 0, offices, catalog, cache)
    key = (office.id, query.length, query.start, query.end, query.survey, can_inspect(user))
    return live.office_watched(
        offices, (*key, query.min_responses), catalog, user, code, query, cache
    )


@router.get("/{code}/events")
async def office_events(
    request: Request, watching: Annotated[push.Watched, Depends(watched)]
) -> StreamingResponse:
    """Server-sent events: ``figures`` (the new figures block) after the office's sub-tree
    stores ballots, at most once a second. The stream ends after a while; the browser's
    EventSource reconnects by itself."""
    app = state(request)
    app.ballot_watch.admit()
    return StreamingResponse(
        push.stream(app.ballot_watch, app.fragments, watching, app.live_stream_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
