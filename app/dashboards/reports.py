"""The ranking of a sub-tree's one-stop units as an official report, to print for the
inspectors' meeting: ranked units with their interval, ballots and change from the previous
period, the units without a rank listed apart with the reason, and how the figures are made."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.dashboards import views
from app.models import User
from app.models.types import utcnow
from app.offices.tree import load_tree
from app.stats import service as stats
from app.surveys.catalog import SurveyCatalog


def units_report(
    session: Session, catalog: SurveyCatalog, user: User, code: str, query: views.Query
) -> dict[str, Any]:
    context = views.children_page(session, catalog, user, code, query, "rank", units=True)
    office, survey, comparison = context["office"], context["survey"], context["comparison"]
    period = context["period"]
    rows: list[stats.OfficeFigures] = context["rows"]
    tree = load_tree(session)
    before = stats.figures_by_subtree(
        session,
        catalog,
        tree,
        [r.office_id for r in rows],
        survey,
        period.previous(),
        comparison=comparison,
        min_responses=query.min_responses,
        reconcile=False,  # only the headline of the previous period is shown
    )
    previous = {entry.office_id: entry.figures.headline for entry in before}
    parent = tree.offices[office.parent_id][1] if office.parent_id in tree.offices else None
    return {
        **context,
        "ranked": [r for r in rows if r.rank],  # in rank order (and ``unranked`` from the page's)
        "change": {
            r.office_id: None
            if r.figures.headline is None or previous.get(r.office_id) is None
            else r.figures.headline - (previous[r.office_id] or 0.0)
            for r in rows
        },
        "criteria": [
            q for q in survey.questions if not comparison.shared or q.key in comparison.questions
        ],
        "parent_name": parent,
        "generated_at": utcnow(),
        "user": user,
    }
