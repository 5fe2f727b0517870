"""Export downloads over HTTP: streamed, scoped, logged, each with its manifest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.audit import service as audit
from app.auth.scope import require_office, visible
from app.exports import ballot_export
from app.exports.ballot_export import Export
from app.exports.formats import FORMATS, MEDIA, marked_on_failure
from app.exports.summary import SUMMARY_FORMATS, summary_rows
from app.models import Office
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats.periods import Period, date_range, period_of, today
from app.web.deps import CatalogDep, SessionDep, writes
from app.web.identity import CurrentUser, client_address
from app.web.openapi import api_errors, file_responses
from app.web.params import MAX_ID, FromDay, ToDay
from app.web.routing import TransactionRoute
from app.web.state import state

router = APIRouter(
    route_class=TransactionRoute,
    prefix="/api/v1/exports",
    tags=["exports"],
    responses=api_errors(400, 401, 404, 422, 431),
)

Format = Literal["csv", "jsonl", "xlsx"]
OfficeCode = Annotated[
    str, Query(max_length=64, description="Office code; its sub-tree is exported")
]
Survey = Annotated[str | None, Query(max_length=64)]
Snapshot = Annotated[
    int | None,
    Query(ge=0, le=MAX_ID, description="Ballot id the export stops at (from the file's headers)"),
]


@dataclass
class ExportQuery:
    """Which office's sub-tree, which days (default: this year so far) and which survey."""

    office: str
    period: Period
    survey: str | None

    def name(self, kind: str, fmt: str) -> str:
        return f"{kind}-{self.office}-{self.period.start}-{self.period.end}.{fmt}"


def export_query(
    office: OfficeCode, start: FromDay = None, end: ToDay = None, survey: Survey = None
) -> ExportQuery:
    first = start or period_of("year", today()).start
    return ExportQuery(office, date_range(first, end or today()), survey)


ExportQueryDep = Annotated[ExportQuery, Depends(export_query)]


def _scoped(session: Any, user: Any, q: ExportQuery) -> Office:
    office = get_by_code(session, q.office)
    require_office(session, user, office)
    return office


def _export(
    session: Any, catalog: Any, user: Any, q: ExportQuery, snapshot: int | None
) -> tuple[Export, Office]:
    return ballot_export.for_user(session, catalog, user, q.office, q.period, q.survey, snapshot)


def _log(
    request: Request, session: Any, user: Any, q: ExportQuery, office: Office, what: str, fmt: str
) -> None:
    audit.record(
        session,
        user.username,
        "export",
        f"{what} {q.office} {q.period.start}..{q.period.end} ({fmt})",
        address=client_address(request),
        office_id=office.id,
    )


# The manifest first: {fmt} would otherwise swallow "csv.manifest.json".
@router.get("/ballots.{fmt}.manifest.json")
def ballots_manifest(
    request: Request,
    fmt: Format,
    q: ExportQueryDep,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    snapshot: Snapshot = None,
) -> JSONResponse:
    """The manifest of the file the same parameters give: rows, first and last chain hashes,
    SHA-256. Computed by streaming the same export again, never holding it in memory."""
    export, _ = _export(session, catalog, user, q, snapshot)
    with state(request).export_connection() as conn:
        for _ in FORMATS[fmt](conn, export):
            pass
    name = q.name("phieu", fmt)
    manifest = export.manifest(name, fmt, user.username)
    manifest["filters"]["snapshot"] = export.snapshot
    # Saved under the file's own name + .manifest.json, `hailong verify FILE` finds it.
    return JSONResponse(
        manifest,
        headers={"Content-Disposition": f'attachment; filename="{name}.manifest.json"'},
    )


@router.get("/ballots.{fmt}", responses=file_responses("csv", "jsonl", "xlsx"))
@writes
def ballots_file(
    request: Request,
    fmt: Format,
    q: ExportQueryDep,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
    snapshot: Snapshot = None,
) -> StreamingResponse:
    """Raw ballots, one row per ballot, streamed. Its manifest: the same URL with
    ``.manifest.json`` appended and the ``snapshot`` given in the ``X-Export-Snapshot`` header
    (or the one given here: the inspectors' page links a file and its manifest that way)."""
    export, office = _export(session, catalog, user, q, snapshot)
    export.digest = None  # the manifest is a request of its own
    _log(request, session, user, q, office, "ballots", fmt)

    def body() -> Iterator[bytes]:
        with state(request).export_connection() as conn:
            yield from FORMATS[fmt](conn, export)

    return StreamingResponse(
        marked_on_failure(body(), fmt),
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{q.name("phieu", fmt)}"',
            "X-Export-Snapshot": str(export.snapshot),
        },
    )


@router.get("/summary.{fmt}", responses=file_responses("csv", "xlsx"))
@writes
def summary_file(
    request: Request,
    fmt: Literal["csv", "xlsx"],
    q: ExportQueryDep,
    session: SessionDep,
    catalog: CatalogDep,
    user: CurrentUser,
) -> Response:
    """The figures per office × criterion, as on the dashboards (shares as fractions 0–1; in
    the workbook formatted as percentages)."""
    office = _scoped(session, user, q)
    scope = visible(load_tree(session), user)
    rows = summary_rows(session, catalog, q.office, q.period, q.survey, scope)
    body = b"".join(SUMMARY_FORMATS[fmt](rows))
    _log(request, session, user, q, office, "summary", fmt)
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{q.name("tong-hop", fmt)}"'},
    )
