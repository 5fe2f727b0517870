"""Figures per officer, for the ratings that name one (a dossier's receiving officer, or the
officer a counter announced). Read from the ballots of one office's sub-tree and period (a unit
rates a few thousand dossiers a month): no rollup is kept per officer, so nothing per officer
exists unless someone entitled asks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.core.bulk import any_of
from app.core.errors import Forbidden
from app.models import Answer, Ballot, User
from app.models.account import judges_unit
from app.offices.service import get_by_code
from app.offices.tree import load_tree
from app.stats import rollups
from app.stats.counted import excluded_ids
from app.stats.maths import Figures, Moments, assemble, scales, tally
from app.stats.periods import Period
from app.stats.service import choose, versions_of
from app.surveys.catalog import Comparison, SurveyCatalog
from app.surveys.definition import SurveyDefinition

BALLOT = Ballot.__table__  # type: ignore[attr-defined]
ANSWER = Answer.__table__  # type: ignore[attr-defined]
CHUNK = 1000


@dataclass
class OfficerFigures:
    officer_code: str
    ballots: int
    figures: Figures | None  # None below the minimum number of ballots


def may_see_officers(user: User) -> None:
    """Admins, inspectors and the unit's head: those who judge the unit, not the officers
    being compared with each other."""
    if judges_unit(user):
        return
    raise Forbidden(
        "Per-officer figures are for admins, inspectors and the unit's head",
        message_vi="Số liệu theo từng cán bộ chỉ dành cho lãnh đạo đơn vị và cán bộ kiểm tra.",
    )


def officer_figures(
    session: Session,
    catalog: SurveyCatalog,
    code: str,
    period: Period,
    *,
    survey_key: str | None = None,
    min_responses: int = 30,
) -> tuple[SurveyDefinition, Comparison, list[OfficerFigures]]:
    office = get_by_code(session, code)
    survey, comparison = choose(session, catalog, office, survey_key)
    tree = load_tree(session)
    offices = tree.subtree(office.id or 0)
    counted = {office_id: tree.counted(office_id) for office_id in offices}
    versions = versions_of(session, catalog, comparison.surveys)
    start, end = period.bounds_utc()
    conn = session.connection()
    ballots = [
        row
        for row in conn.execute(
            sa.select(
                BALLOT.c.id,
                BALLOT.c.office_id,
                BALLOT.c.officer_code,
                BALLOT.c.survey_key,
                BALLOT.c.survey_version,
                BALLOT.c.level,
                sa.func.coalesce(BALLOT.c.source, "open").label("source"),
            ).where(
                any_of(session, BALLOT.c.office_id, offices),
                BALLOT.c.survey_key.in_(comparison.surveys),
                BALLOT.c.submitted_at >= start,
                BALLOT.c.submitted_at < end,
                BALLOT.c.officer_code.is_not(None),
                BALLOT.c.id.not_in(excluded_ids()),
            )
        )
        if row.source in counted[row.office_id]
    ]
    given = _answers(conn, [row.id for row in ballots])
    shared = catalog.criteria.get(comparison.key) if comparison.shared else None
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"answers": [], "levels": [], "moments": Moments(), "n": 0}
    )
    for ballot_id, _, officer, key, version, level, _ in ballots:
        mine = per[officer]
        mine["n"] += 1
        answers = given.get(ballot_id, {})
        mine["answers"] += [(key, version, q, v, 1) for q, v in answers.items()]
        mine["levels"].append((key, version, level or 0, 1))
        for criteria, n, k in rollups.satisfaction(versions[(key, version)], answers, shared):
            if criteria == comparison.key:
                mine["moments"] += Moments(1, n, k, k * k, k * n, n * n)
    categories = scales(versions)
    result = []
    for officer, mine in sorted(per.items()):
        figures = None
        if mine["n"] >= min_responses:
            counted_tally = tally(categories, mine["answers"], mine["levels"])
            counted_tally.moments = mine["moments"]
            figures = assemble(
                survey,
                counted_tally,
                questions=comparison.questions if comparison.shared else None,
                min_responses=min_responses,
            )
        result.append(OfficerFigures(officer, mine["n"], figures))
    return survey, comparison, result


def _answers(conn: Any, ids: list[int]) -> dict[int, dict[str, int]]:
    given: dict[int, dict[str, int]] = defaultdict(dict)
    for at in range(0, len(ids), CHUNK):
        for ballot_id, question, value in conn.execute(
            sa.select(ANSWER.c.ballot_id, ANSWER.c.question_key, ANSWER.c.value).where(
                ANSWER.c.ballot_id.in_(ids[at : at + CHUNK])
            )
        ):
            given[ballot_id][question] = value
    return given
