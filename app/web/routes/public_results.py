"""Public results and open data (``/cong-khai``), for anyone, with no sign-in and no script.

Pages and files are kept rendered per office and month and per size of the public log: a
ballot or a decision enters the log, the log's next checkpoint changes the size, and the next
request computes anew. The size is read at most once a second, and a kept page is answered on
the event loop, with no thread and no database: a busy public page costs a dictionary lookup,
and the ballots taken on the same loop barely notice."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.core.errors import NotFound
from app.publication import open_data, results
from app.stats.periods import today
from app.transparency import published
from app.web.deps import SessionDep, ShortSession, ShortSessionsDep, StateDep
from app.web.rendering import render, render_string
from app.web.routing import TransactionRoute
from app.web.state import AppState

router = APIRouter(route_class=TransactionRoute, tags=["public"], include_in_schema=False)
PAGE_CACHE = "public, max-age=30"
Month = Annotated[str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@router.get("/cong-khai", response_class=HTMLResponse)
def public_index(request: Request, session: SessionDep) -> HTMLResponse:
    """The offices that publish their results."""
    return render(
        request,
        "public/index.html",
        {"roots": results.public_roots(session)},
        headers={"Cache-Control": PAGE_CACHE},
    )


@router.get("/cong-khai/du-lieu", response_class=HTMLResponse)
def data_dictionary(request: Request) -> HTMLResponse:
    """What each column of the open data means, and its licence."""
    context = {
        "columns": list(open_data.MEANINGS.items()),
        "licence": open_data.LICENCE,
        "licence_url": open_data.LICENCE_URL,
    }
    return render(request, "public/data.html", context, headers={"Cache-Control": PAGE_CACHE})


@router.get("/cong-khai/du-lieu.json")
def data_index(session: SessionDep) -> Response:
    """Every open data file there is now: for each top of a public sub-tree, its last twelve
    months (the monitor, ``hailong log audit``, reads them all)."""
    files = [
        f"/cong-khai/{quote(place.code, safe='')}/du-lieu/{period.start:%Y-%m}.json"
        for place in results.public_roots(session)
        for period in results.months_back(today())
    ]
    body = json.dumps({"tep": files}, ensure_ascii=False) + "\n"
    return Response(body, media_type="application/json", headers={"Cache-Control": PAGE_CACHE})


async def _kept(
    state: AppState,
    sessions: ShortSession,
    key: tuple[Any, ...],
    make: Callable[[Session, int | None], str],
) -> str:
    """The rendered page or file for ``key`` (the log's size is added to it): from the event
    loop when kept, else made in a thread (``make`` is given the size it is kept under), once
    however many ask."""
    fresh, version = state.log_version.peek()
    if not fresh:

        def read() -> int | None:
            with sessions() as session:
                return state.log_version.get(lambda: published.version(session.connection()))

        version = await anyio.to_thread.run_sync(read)
    full = (*key, version)
    kept, value = state.public_cache.peek(full)
    if kept:
        return str(value)

    def compute() -> str:
        with sessions() as session:
            return make(session, version)

    made = await anyio.to_thread.run_sync(lambda: state.public_cache.get(full, (), compute))
    return str(made)


@router.get("/cong-khai/{office_code}", response_class=HTMLResponse)
async def public_office(
    office_code: str, state: StateDep, sessions: ShortSessionsDep
) -> HTMLResponse:
    """An office's public results: this month, the eleven before, its units."""
    day = today()
    settings, catalog = state.settings, state.catalog

    def page(session: Session, version: int | None) -> str:
        found = results.public_office(session, catalog, office_code, day, settings.min_responses)
        context = {"lang": "vi", "page": found, "checkpoint": version}
        return render_string("public/office.html", context)

    html = await _kept(state, sessions, ("page", office_code, day), page)
    return HTMLResponse(html, headers={"Cache-Control": PAGE_CACHE})


@router.get("/cong-khai/{office_code}/du-lieu/{month}.{fmt}")
async def public_data(
    office_code: str, month: Month, fmt: str, state: StateDep, sessions: ShortSessionsDep
) -> Response:
    """A month's open data for the office's public sub-tree, as CSV or JSON."""
    year, number = (int(part) for part in _MONTH.fullmatch(month).groups())  # type: ignore[union-attr]
    first = date(year, number, 1)
    if fmt not in ("csv", "json") or first > today():
        raise NotFound(f"no open data {month}.{fmt}", message_vi="Không có tệp dữ liệu này.")
    settings, catalog = state.settings, state.catalog

    def file(session: Session, _version: int | None) -> str:
        # The counts are of the latest checkpoint itself, which the log's size need not be.
        checkpoint = published.checkpoint_size(session.connection())
        data = open_data.open_data(
            session, catalog, office_code, first, settings.min_responses, checkpoint
        )
        return open_data.as_csv(data) if fmt == "csv" else open_data.as_json(data, state.log_origin)

    body = await _kept(state, sessions, ("data", office_code, first, fmt), file)
    kind = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    name = f"hai-long-{office_code}-{month}.{fmt}"
    return Response(
        body,
        media_type=kind,
        headers={"Cache-Control": PAGE_CACHE, "Content-Disposition": f'inline; filename="{name}"'},
    )
