"""The summary API: an office sub-tree's figures for a survey and a period (bearer token or
session), and the same for each of its children."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.auth.scope import require_code
from app.cases import figures as case_figures
from app.stats import officers, service
from app.stats.maths import Criterion, Figures, Shares
from app.stats.periods import Period, date_range, period_of, today
from app.surveys.catalog import Comparison
from app.web.deps import CatalogDep, SessionDep, SettingsDep
from app.web.identity import CurrentUser
from app.web.openapi import api_errors
from app.web.params import FromDay, ToDay
from app.web.rendering import JSONBody
from app.web.routing import TransactionRoute

router = APIRouter(
    route_class=TransactionRoute,
    prefix="/api/v1",
    tags=["figures"],
    responses=api_errors(400, 401, 404, 422, 431),
)

SurveyKey = Annotated[str | None, Query(alias="survey", max_length=64)]
MinResponses = Annotated[int | None, Query(ge=1, le=100_000)]


@dataclass
class FiguresQuery:
    period: Period
    survey: str | None
    min_responses: int


async def figures_query(
    settings: SettingsDep,
    start: FromDay = None,
    end: ToDay = None,
    survey: SurveyKey = None,
    min_responses: MinResponses = None,
) -> FiguresQuery:
    """The period (default: this month so far), survey and minimum the figures are asked for
    (default: ``HAILONG_MIN_RESPONSES``)."""
    if start is None and end is None:
        month = period_of("month", today())
        period = date_range(month.start, today())
    else:
        period = date_range(start or end, end or start)  # type: ignore[arg-type]
    return FiguresQuery(period, survey, min_responses or settings.min_responses)


FiguresQueryDep = Annotated[FiguresQuery, Depends(figures_query)]


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _interval(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    """An interval to the shares' six decimals: the digits past them are noise, and in a
    ranking of 300 units its 4,200 bounds were a fifth of the compressed bytes."""
    return None if bounds is None else (round(bounds[0], 6), round(bounds[1], 6))


def rank_json(entry: service.OfficeFigures) -> dict[str, Any]:
    """``rank`` (null when the unit is not ranked; ``close_to_above``: its interval overlaps the
    one of the unit placed just above) and ``unranked``: why not."""
    rank = entry.rank
    return {
        "rank": (
            {"position": rank[0], "of": rank[1], "close_to_above": entry.close_to_above}
            if rank
            else None
        ),
        "unranked": (
            {"reason": entry.unranked, "message": entry.unranked_vi} if entry.unranked else None
        ),
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """Which surveys' ballots and which criteria the figures count."""
    return {
        "criteria_set": comparison.key or None,
        "surveys": list(comparison.surveys),
        "questions": list(comparison.questions),
    }


def dossiers_json(entry: service.OfficeFigures) -> dict[str, Any]:
    d = entry.dossiers
    return {
        "dossiers": {
            "registered": d.registered,
            "returned": d.returned,
            "returned_late": d.late,
            "rated": d.rated,
            "rated_not_satisfied": d.rated_not_satisfied,
            "response_rate": _ratio(d.response_rate),
            "indicator_766": _ratio(d.indicator),
        },
        "flag": entry.flag,
        # Ballots a detector flagged that await an inspector's review: still in the figures.
        "flagged": entry.flagged,
    }


def figures_json(fig: Figures, *, detail: bool = True) -> dict[str, Any]:
    """``detail``: each criterion's wording, and each level's share and interval, as one office's
    summary gives them. A ranking of hundreds of children gives the headline share alone (the
    counts are there), and the wording once (its ``criteria``): it is the same for every child.
    Each office's summary has the rest."""
    return {
        "ballots": fig.ballot_count,
        "excluded": fig.excluded,
        # Every ballot stored in the period by how it came, and whether the policy counts it.
        "provenance": {
            source: {"ballots": n, "counted": source not in fig.uncounted}
            for source, n in sorted(fig.sources.items())
        },
        "uncounted": sum(fig.uncounted.values()),
        "enough_responses": fig.enough_responses,
        "min_responses": fig.min_responses,
        "headline": _ratio(fig.headline),
        "headline_ci95": _interval(fig.headline_ci95()),
        "index": _ratio(fig.index),
        "aspects": {k: _ratio(v) for k, v in fig.aspects.items()},
        "ballot_levels": {
            "counts": fig.ballots.counts,
            "unclassified": fig.unclassified,
            **_levels(fig.ballots, detail),
        },
        "criteria": [
            {
                "key": c.key,
                **(_wording(c) if detail else {}),
                "answered": c.shares.total,
                "counts": c.shares.counts,
                **_levels(c.shares, detail),
            }
            for c in fig.criteria
        ],
    }


def _wording(criterion: Criterion) -> dict[str, Any]:
    return {"label": criterion.label_vi, "label_en": criterion.label_en, "aspect": criterion.aspect}


def _levels(shares: Shares, detail: bool) -> dict[str, Any]:
    """The shares of each level, or in a ranking the headline's alone (each level's is its count
    over the total)."""
    if not detail:
        return {
            "shares": {"satisfied_or_better": _ratio(shares.headline)},
            "ci95": _interval(shares.headline_ci95()),
        }
    return {
        "shares": {k: _ratio(v) for k, v in shares.shares().items()},
        "ci95": _interval(shares.headline_ci95()),
        "ci95_shares": {k: _interval(shares.ci95(k)) for k in shares.counts},
    }


@router.get("/offices/{code}/summary", response_class=JSONBody)
def office_summary(
    code: str, session: SessionDep, catalog: CatalogDep, user: CurrentUser, q: FiguresQueryDep
) -> JSONBody:
    """Figures for the office and its whole sub-tree. Shares are fractions from 0 to 1."""
    require_code(session, user, code)
    period = q.period
    summary = service.summarize(
        session, catalog, code, period, survey_key=q.survey, min_responses=q.min_responses
    )
    previous = period.previous()
    cases = case_figures.of_subtrees(session, [summary.office.office_id], period)
    return JSONBody(
        {
            "office": {"code": summary.office.code, "name": summary.office.name},
            "survey": {
                "key": summary.survey.key,
                "version": summary.survey.version,
                "title": summary.survey.title_vi,
            },
            "compared": comparison_json(summary.comparison),
            "period": {"from": period.start, "to": period.end},
            **figures_json(summary.office.figures),
            **rank_json(summary.office),
            "ranked_among": summary.ranked_among or None,
            **dossiers_json(summary.office),
            "cases": cases[summary.office.office_id].public(),
            "previous": {
                "period": {"from": previous.start, "to": previous.end},
                "ballots": summary.previous.ballot_count,
                "headline": _ratio(summary.previous.headline),
                "change": _ratio(summary.change),
            },
        }
    )


@router.get("/offices/{code}/children", response_class=JSONBody)
def office_children(
    code: str, session: SessionDep, catalog: CatalogDep, user: CurrentUser, q: FiguresQueryDep
) -> JSONBody:
    """Each child office's sub-tree figures, ranked among the children. The criteria's wording
    is given once (``criteria``); each office's intervals by level are in its summary."""
    require_code(session, user, code)
    period = q.period
    found, comparison, children = service.children_figures(
        session, catalog, code, period, survey_key=q.survey, min_responses=q.min_responses
    )
    cases = case_figures.of_subtrees(session, [child.office_id for child in children], period)
    return JSONBody(
        {
            "office": {"code": code},
            "survey": {"key": found.key, "version": found.version},
            "compared": comparison_json(comparison),
            "period": {"from": period.start, "to": period.end},
            "criteria": [
                {"key": c.key, **_wording(c)}
                for c in (children[0].figures.criteria if children else [])
            ],
            "children": [
                {
                    "office": {"code": child.code, "name": child.name},
                    "survey": child.survey_key,
                    "comparable": child.comparable,
                    **rank_json(child),
                    **figures_json(child.figures, detail=False),
                    **dossiers_json(child),
                    "cases": cases[child.office_id].public(),
                }
                for child in children
            ],
        }
    )


@router.get("/offices/{code}/officers", response_class=JSONBody)
def office_officers(
    code: str, session: SessionDep, catalog: CatalogDep, user: CurrentUser, q: FiguresQueryDep
) -> JSONBody:
    """Figures per officer, for ratings that name the officer (bound to a dossier, or cast at a
    counter that announced its officer); only with at least ``min_responses`` ballots behind
    them. Admins, inspectors and the unit's head only (403 for other officers)."""
    require_code(session, user, code)
    officers.may_see_officers(user)
    period = q.period
    _, comparison, found = officers.officer_figures(
        session, catalog, code, period, survey_key=q.survey, min_responses=q.min_responses
    )
    return JSONBody(
        {
            "office": {"code": code},
            "compared": comparison_json(comparison),
            "period": {"from": period.start, "to": period.end},
            "min_responses": q.min_responses,
            "officers": [
                {
                    "officer_code": entry.officer_code,
                    "ballots": entry.ballots,
                    **(
                        figures_json(entry.figures)
                        if entry.figures is not None
                        else {"figures": None, "reason": "too_few_ballots"}
                    ),
                }
                for entry in found
            ],
        }
    )
