"""Everything a dashboard page needs, gathered in one place for its route to render."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from sqlmodel import Session

from app.auth.scope import can_inspect, require_office
from app.cases import figures as case_figures
from app.core.errors import NotFound
from app.dashboards import charts
from app.dashboards.cache import FiguresCache
from app.dashboards.service import Point, grain_of, latest_comments, trend
from app.exports.ballot_export import newest_ballot
from app.models import Office, User
from app.models.types import utcnow
from app.offices.qr import qr_svg_inline, survey_url
from app.offices.service import get_by_code
from app.offices.tree import Tree, load_tree
from app.stats import service as stats
from app.stats.periods import LENGTHS, Length, Period, date_range, period_of, today
from app.surveys.catalog import Comparison, SurveyCatalog
from app.surveys.definition import SurveyDefinition
from app.surveys.service import survey_for_office

LENGTH_LABELS: dict[str, str] = {
    "day": "Hôm nay",
    "week": "Tuần này",
    "month": "Tháng này",
    "quarter": "Quý này",
    "year": "Năm nay",
}
LEVEL_LABELS: dict[str, str] = {
    "very_satisfied": "Rất hài lòng",
    "satisfied": "Hài lòng",
    "neutral": "Bình thường",
    "dissatisfied": "Không hài lòng",
    "very_dissatisfied": "Rất không hài lòng",
}


@dataclass
class Query:
    """The period and survey a dashboard URL asks for."""

    length: Length = "month"
    start: date | None = None
    end: date | None = None
    survey: str | None = None
    min_responses: int = 30
    chosen: bool = True  # False: the URL named no period, the page opens on its default

    def __post_init__(self) -> None:
        self.period()  # a wrong range is refused when the query is read, not halfway through

    def period(self) -> Period:
        if self.start or self.end:
            return date_range(self.start or self.end, self.end or self.start)  # type: ignore[arg-type]
        if self.length not in LENGTHS or self.length == "range":
            raise NotFound("unknown period", message_vi="Không có khoảng thời gian này.")
        return period_of(self.length, today())

    def params(self, **changes: Any) -> str:
        """This query as URL parameters, with ``changes`` applied."""
        values: dict[str, Any] = {"period": self.length, "survey": self.survey}
        if self.start or self.end:
            values = {"from": self.start, "to": self.end, "survey": self.survey}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v is not None})

    def for_length(self, length: str) -> str:
        return urlencode({k: v for k, v in (("period", length), ("survey", self.survey)) if v})


@dataclass(frozen=True)
class OfficeView:
    id: int
    code: str
    name: str


def office_page(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    code: str,
    query: Query,
    *,
    cache: FiguresCache | None = None,
    comments: int = 10,
) -> dict[str, Any]:
    """Everything the office page shows. The figures are the same for every screen that may
    see the office: with a ``cache`` they are computed once for all of them."""
    office = get_by_code(session, code)
    require_office(session, user, office)  # before anything cached is handed out
    shared = _shared(session, catalog, office, query, cache, comments)
    # Outside the cached figures: answering a case changes these, not the ballots'.
    cases = case_figures.of_subtrees(session, [office.id or 0], query.period())[office.id or 0]
    return {**shared, "user": user, "may_inspect": can_inspect(user), "cases": cases}


def _shared(
    session: Session,
    catalog: SurveyCatalog,
    office: Office,
    query: Query,
    cache: FiguresCache | None,
    comments: int,
) -> dict[str, Any]:
    tree = load_tree(session)
    ids = tree.subtree(office.id or 0)
    period = query.period()

    def compute() -> dict[str, Any]:
        return _figures(session, catalog, office, tree, ids, query, period, comments)

    if cache is None:
        return compute()
    key = (office.id, period, query.survey, query.min_responses, comments)
    shared: dict[str, Any] = cache.get(key, ids, compute)
    return shared


LOBBY = Query()  # this month, the office's own criteria, 30 ballots before a share is firm
LOBBY_COMMENTS = 10  # as the dashboard's, so both share one cached computation


def lobby(
    session: Session, catalog: SurveyCatalog, office_id: int, cache: FiguresCache | None
) -> dict[str, Any]:
    """What the lobby display shows the public, and only that: the month's share of satisfied
    citizens, how many rated, the trend (no interval, index, exclusions or comments). The
    figures are the dashboard's, computed once for both."""
    office = session.get(Office, office_id)
    if office is None:
        raise NotFound("No such office", message_vi="Không có đơn vị này.")
    shared = _shared(session, catalog, office, LOBBY, cache, LOBBY_COMMENTS)
    return {key: shared[key] for key in ("office", "figures", "chart", "period")}


def lobby_page(
    session: Session,
    catalog: SurveyCatalog,
    office_id: int,
    public_url: str,
    cache: FiguresCache | None,
    *,
    qr: bool = True,
) -> dict[str, Any]:
    """The whole lobby display: its live block, and with ``qr`` the office's QR inviting people
    to rate (where the open QR counts; otherwise the counter's QR is the way, and the screen
    says so)."""
    context = lobby(session, catalog, office_id, cache)
    office: OfficeView = context["office"]
    open_qr = qr and "open" in load_tree(session).counted(office_id)
    svg = qr_svg_inline(survey_url(public_url, office.code)) if open_qr else None
    # Drawn here from the office's code; no text anyone typed goes into it.
    return {**context, "qr_svg": Markup(svg) if svg else None, "panel_url": None}  # noqa: S704


def _trends(points: list[Point], grain: str) -> dict[str, charts.TrendChart]:
    """The trend for a desk and for a phone, where the desk's would shrink its text to 5 px."""
    return {
        "chart": charts.trend_chart(points, grain),
        "phone_chart": charts.trend_chart(points, grain, width=charts.NARROW),
    }


def _figures(
    session: Session,
    catalog: SurveyCatalog,
    office: Office,
    tree: Tree,
    ids: list[int],
    query: Query,
    period: Period,
    comments: int,
) -> dict[str, Any]:
    summary = stats.summarize(
        session, catalog, office.code, period, survey_key=query.survey,
        min_responses=query.min_responses,
    )  # fmt: skip
    comparison = summary.comparison
    versions = stats.versions_of(session, catalog, comparison.surveys)
    names = {office_id: name for office_id, (_, name, _) in tree.offices.items()}
    fig = summary.office.figures
    quoted = quote(office.code, safe="")
    return {
        # Plain values, not the row: the figures outlive this request's session.
        "office": OfficeView(id=office.id or 0, code=office.code, name=office.name),
        "summary": summary,
        "figures": fig,
        "period": period,
        "query": query,
        "lengths": LENGTH_LABELS,
        "levels": LEVEL_LABELS,
        "bars": {c.key: charts.stacked_bar(c.shares.counts) for c in fig.criteria},
        "ballot_bar": charts.stacked_bar(fig.ballots.counts),
        **_trends(trend(session, office.id or 0, comparison, versions, period), grain_of(period)),
        "comments": latest_comments(
            session, ids, names, period, comparison.surveys, limit=comments
        ),
        "generated_at": utcnow(),
        "has_children": bool(tree.children.get(office.id)),
        "parent_name": names.get(office.parent_id) if office.parent_id else None,
        "base": f"/staff/offices/{quoted}",
        "surveys": catalog.surveys,
        "own_survey": survey_for_office(session, catalog, office).key,
        "comparison_title": stats.describe(catalog, comparison, summary.survey),
    }


def _ranked(
    session: Session, catalog: SurveyCatalog, office: Office, query: Query, units: bool
) -> tuple[list[stats.OfficeFigures], SurveyDefinition, Comparison, str]:
    """The rows of ``children_page`` for ``query``'s period, what they cover, and which ranking
    their ranks are places in ("" for the office's own children)."""
    period = query.period()
    if not units:
        survey, comparison, rows = stats.children_figures(
            session,
            catalog,
            office.code,
            period,
            survey_key=query.survey,
            min_responses=query.min_responses,
        )
        return rows, survey, comparison, ""
    survey, comparison = stats.choose(session, catalog, office, query.survey)
    tree = load_tree(session)
    # A unit's ranking is its province's (the one its inspectors publish): it is shown its own
    # row with its place there, and nothing of the other units.
    publisher = tree.published_ranking(office.id or 0)
    leaves = tree.leaves(publisher if publisher is not None else office.id or 0)
    rows = stats.figures_by_subtree(
        session,
        catalog,
        tree,
        leaves,
        survey,
        period,
        comparison=comparison,
        min_responses=query.min_responses,
    )
    if publisher is None:
        return rows, survey, comparison, ""
    among = f"các đơn vị được xếp hạng của {tree.offices[publisher][1]}"
    return [r for r in rows if r.office_id == office.id], survey, comparison, among


def children_page(
    session: Session,
    catalog: SurveyCatalog,
    user: User,
    code: str,
    query: Query,
    sort: str,
    *,
    units: bool = False,
) -> dict[str, Any]:
    """The children of an office ranked among themselves, or with ``units`` every unit at the
    bottom of its sub-tree (the one-stop units that are graded), ranked among all of them."""
    office = get_by_code(session, code)
    require_office(session, user, office)
    rows, survey, comparison, ranked_among = _ranked(session, catalog, office, query, units)
    fallback = ""
    if not query.chosen and not any(r.rank for r in rows):
        # Early in a month nobody has enough ballots yet: the page opens on the last complete
        # month instead, and says so, rather than on a table of warnings.
        current = query.period()
        last = period_of("month", current.start - timedelta(days=1))
        earlier = replace(query, start=last.start, end=last.end)
        found = _ranked(session, catalog, office, earlier, units)
        if any(r.rank for r in found[0]):
            rows, survey, comparison, ranked_among = found
            query = earlier
            fallback = (
                f"Từ {current.start.strftime('%d/%m/%Y')} tới nay chưa đơn vị nào đủ "
                f"{query.min_responses} phiếu để xếp hạng; bảng dưới là tháng "
                f"{last.start.strftime('%m/%Y')}, tháng gần nhất đã trọn."
            )
    period = query.period()
    keys = {
        "code": lambda r: r.code,
        "name": lambda r: r.name,
        "ballots": lambda r: -r.figures.ballot_count,
        "headline": lambda r: -(r.figures.headline if r.figures.headline is not None else -1),
        "index": lambda r: -(r.figures.index if r.figures.index is not None else -1),
        # Ranked units first, then those with too few ballots, then those not comparable.
        "rank": lambda r: (r.rank[0] if r.rank else 10**9, not r.comparable, r.code),
    }
    if sort not in keys:
        sort = "rank"
    ranked = sorted((r for r in rows if r.rank), key=lambda r: (r.rank or (0, 0))[0])
    chart = charts.comparison_chart(
        [(r.name, (r.rank or (0, 0))[0], r.figures.headline or 0.0, r.figures.headline_ci95())
         for r in ranked]
    )  # fmt: skip
    rows.sort(key=keys[sort])
    cases = case_figures.of_subtrees(session, [r.office_id for r in rows], period)
    return {
        "cases": cases,
        "office": office,
        "survey": survey,
        "rows": rows,
        "period": period,
        "query": query,
        "lengths": LENGTH_LABELS,
        "sort": sort,
        "units_view": units,
        "ranked_among": ranked_among,
        "fallback": fallback,
        "may_inspect": can_inspect(user),
        "base": f"/staff/offices/{quote(office.code, safe='')}",
        "export_query": urlencode(
            {
                k: v
                for k, v in (
                    ("office", office.code),
                    ("from", period.start),
                    ("to", period.end),
                    ("survey", query.survey),
                    ("snapshot", newest_ballot(session.connection())),
                )
                if v is not None
            }
        ),
        "surveys": catalog.surveys,
        "comparison": comparison,
        "ranking_chart": chart,
        "unranked": [r for r in rows if not r.rank],
        "comparison_title": stats.describe(catalog, comparison, survey),
    }
