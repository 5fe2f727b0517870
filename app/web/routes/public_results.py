"""Public results and open data (``/cong-khai``), for anyone, with no sign-in and no script.

Pages and files are kept rendered per office and month and per size of the public log: a
ballot or a decision enters the log, the log's next checkpoint changes the size, and the next
request computes anew. The size is read at most once a second, so a busy public page costs a
dictionary lookup."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from app.core.errors import NotFound
from app.publication import open_data, results
from app.stats.periods import today
from app.transparency import published
from app.web.deps import CatalogDep, SessionDep, SettingsDep, StateDep
from app.web.rendering import render, render_string
from app.web.routing import TransactionRoute

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


@router.get("/cong-khai/{office_code}", response_class=HTMLResponse)
def public_office(
    office_code: str,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    state: StateDep,
) -> HTMLResponse:
    """An office's public results: this month, the eleven before, its units."""
    version = state.log_version.get(lambda: published.version(session.connection()))
    day = today()

    def page() -> str:
        found = results.public_office(session, catalog, office_code, day, settings.min_responses)
        return render_string(
            "public/office.html", {"lang": "vi", "page": found, "checkpoint": version}
        )

    html = state.public_cache.get(("page", office_code, day, version), (), page)
    return HTMLResponse(html, headers={"Cache-Control": PAGE_CACHE})


@router.get("/cong-khai/{office_code}/du-lieu/{month}.{fmt}")
def public_data(
    office_code: str,
    month: Month,
    fmt: str,
    session: SessionDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    state: StateDep,
) -> Response:
    """A month's open data for the office's public sub-tree, as CSV or JSON."""
    year, number = (int(part) for part in _MONTH.fullmatch(month).groups())  # type: ignore[union-attr]
    first = date(year, number, 1)
    if fmt not in ("csv", "json") or first > today():
        raise NotFound(f"no open data {month}.{fmt}", message_vi="Không có tệp dữ liệu này.")
    checkpoint = published.checkpoint_size(session.connection())

    def file() -> str:
        data = open_data.open_data(
            session, catalog, office_code, first, settings.min_responses, checkpoint
        )
        return open_data.as_csv(data) if fmt == "csv" else open_data.as_json(data, state.log_origin)

    body = state.public_cache.get(("data", office_code, first, fmt, checkpoint), (), file)
    kind = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    name = f"hai-long-{office_code}-{month}.{fmt}"
    return Response(
        body,
        media_type=kind,
        headers={"Cache-Control": PAGE_CACHE, "Content-Disposition": f'inline; filename="{name}"'},
    )
