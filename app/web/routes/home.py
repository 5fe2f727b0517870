"""The staff home: each office in the user's scope with this month's headline and ballots, the
top of the scope (the province) first, then the offices directly under it. An officer whose scope
is one unit goes straight to that unit's dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth.scope import visible
from app.models import User
from app.models.account import ROLES
from app.offices.tree import Tree, load_tree
from app.stats import service as stats
from app.stats.maths import Figures
from app.stats.periods import period_of, today
from app.surveys.catalog import SurveyCatalog
from app.web.deps import CatalogDep, SessionDep
from app.web.identity import CurrentUser
from app.web.rendering import render
from app.web.routing import TransactionRoute

router = APIRouter(route_class=TransactionRoute, tags=["dashboards"], include_in_schema=False)
MOST = 400  # offices listed; the rankings show the rest


@dataclass
class Row:
    code: str
    name: str
    depth: int  # 0 for the top of the scope
    has_children: bool
    figures: Figures


def _shown(tree: Tree, ids: set[int] | None) -> list[tuple[int, int]]:
    """(office, depth): the scope's top offices, each followed by those directly under it."""

    def is_top(office_id: int) -> bool:
        parent = tree.offices[office_id][2]
        return (
            parent is None or parent not in tree.offices or (ids is not None and parent not in ids)
        )

    tops = [i for i in tree.offices if (ids is None or i in ids) and is_top(i)]
    shown: list[tuple[int, int]] = []
    for top in sorted(tops, key=lambda i: tree.offices[i][0]):
        shown.append((top, 0))
        under = sorted(tree.children.get(top, []), key=lambda i: tree.offices[i][0])
        shown += [(child, 1) for child in under]
    return shown[:MOST]


def single_unit(tree: Tree, user: User) -> str | None:
    """The code of the one unit an officer's scope holds, if that is all it holds."""
    ids = visible(tree, user)
    if user.role != "officer" or ids is None or len(ids) != 1:
        return None
    return tree.offices[next(iter(ids))][0]


def home_page(
    session: Session, catalog: SurveyCatalog, tree: Tree, user: User
) -> dict[str, object]:
    shown = _shown(tree, visible(tree, user))
    survey = catalog.surveys[catalog.default_key]
    period = period_of("month", today())
    figures = stats.figures_by_subtree(
        session, catalog, tree, [i for i, _ in shown], survey, period, reconcile=False
    )
    by_id = {entry.office_id: entry.figures for entry in figures}
    rows = [
        Row(
            code=tree.offices[i][0],
            name=tree.offices[i][1],
            depth=depth,
            has_children=bool(tree.children.get(i)),
            figures=by_id[i],
        )
        for i, depth in shown
    ]
    return {"user": user, "role": ROLES[user.role][0], "rows": rows, "period": period}


@router.get("/staff", response_class=HTMLResponse)
def staff_home(
    request: Request, session: SessionDep, catalog: CatalogDep, user: CurrentUser
) -> Response:
    tree = load_tree(session)
    unit = single_unit(tree, user)
    if unit is not None:
        return RedirectResponse(f"/staff/offices/{quote(unit, safe='')}", status_code=303)
    return render(request, "dashboards/home.html", home_page(session, catalog, tree, user))
