"""Figures for an office's sub-tree, a survey and a period, read from the rollups only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from app.core.bulk import bulk
from app.core.errors import NotFound
from app.integrity.exclusions import excluded_counts
from app.models import SurveyVersion
from app.offices.service import get_by_code
from app.offices.tree import Tree, load_tree
from app.stats.maths import Figures, figures
from app.stats.periods import Period, segments
from app.stats.rollups import ANSWER_ROLLUP
from app.surveys.catalog import SurveyCatalog
from app.surveys.definition import SurveyDefinition
from app.surveys.service import survey_for_office, survey_version


@dataclass
class OfficeFigures:
    office_id: int
    code: str
    name: str
    figures: Figures
    rank: tuple[int, int] | None = None  # (position, of)


@dataclass
class Summary:
    office: OfficeFigures
    survey: SurveyDefinition
    period: Period
    previous: Figures

    @property
    def change(self) -> float | None:
        """Change of the headline share from the previous period, in share points."""
        now, before = self.office.figures.headline, self.previous.headline
        return None if now is None or before is None else now - before


def versions_of(
    session: Session, catalog: SurveyCatalog, survey: SurveyDefinition
) -> dict[int, SurveyDefinition]:
    numbers = session.exec(select(SurveyVersion.version).where(SurveyVersion.key == survey.key))
    versions = {survey.version: survey}
    for number in numbers:
        found = survey_version(session, catalog, survey.key, number)
        if found is not None:
            versions[number] = found
    return versions


def _rollups(
    session: Session, survey_key: str, period: Period, office_ids: list[int]
) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
    """Rollup sums per office over the period: answers and ballot levels.

    Straight through the DBAPI cursor: a province overview reads thousands of rows, and going
    through SQLAlchemy's result objects would cost more than the query itself."""
    answers: dict[int, list[Any]] = defaultdict(list)
    ballots: dict[int, list[Any]] = defaultdict(list)
    if not office_ids:
        return answers, ballots
    conn = session.connection()
    sql = bulk(conn)
    mark = sql.mark
    buckets, params = [], [survey_key, *office_ids]
    for grain, first, last in segments(period):
        buckets.append(f"(grain = {mark} AND start >= {mark} AND start <= {mark})")
        params += [
            grain,
            *sql.row(ANSWER_ROLLUP, ("start", "start"), {"start": first})[:1],
            *sql.row(ANSWER_ROLLUP, ("start",), {"start": last}),
        ]
    where = (
        f"survey_key = {mark} AND office_id IN ({', '.join([mark] * len(office_ids))}) "
        f"AND ({' OR '.join(buckets)})"
    )
    # Only constant names and placeholders go into the text; every value is bound. Rows of
    # several buckets of one key are summed by ``figures``: a plain range scan of the primary
    # key is cheaper than a GROUP BY.
    for office_id, version, question, value, n in sql.fetch(
        conn,
        "SELECT office_id, survey_version, question_key, value, n FROM answer_rollup "  # noqa: S608
        f"WHERE {where}",
        params,
    ):
        answers[office_id].append((version, question, value, n))
    for office_id, version, level, n in sql.fetch(
        conn,
        f"SELECT office_id, survey_version, level, n FROM ballot_rollup WHERE {where}",  # noqa: S608
        params,
    ):
        ballots[office_id].append((version, level, n))
    return answers, ballots


def figures_by_subtree(
    session: Session,
    catalog: SurveyCatalog,
    tree: Tree,
    roots: list[int],
    survey: SurveyDefinition,
    period: Period,
    *,
    min_responses: int = 30,
) -> list[OfficeFigures]:
    """Figures for each root's whole sub-tree, in one pass over the rollups."""
    owner: dict[int, int] = {}
    for root in roots:
        for office_id in tree.subtree(root):
            owner[office_id] = root
    answers, ballots = _rollups(session, survey.key, period, list(owner))
    per_root_answers: dict[int, list[Any]] = defaultdict(list)
    per_root_ballots: dict[int, list[Any]] = defaultdict(list)
    for office_id, rows in answers.items():
        per_root_answers[owner[office_id]] += rows
    for office_id, rows in ballots.items():
        per_root_ballots[owner[office_id]] += rows
    versions = versions_of(session, catalog, survey)
    start, end = period.bounds_utc()
    excluded: dict[int, int] = defaultdict(int)
    for office_id, n in excluded_counts(session, list(owner), survey.key, start, end).items():
        excluded[owner[office_id]] += n
    result = []
    for root in roots:
        code, name, _ = tree.offices[root]
        result.append(
            OfficeFigures(
                office_id=root,
                code=code,
                name=name,
                figures=figures(
                    survey,
                    versions,
                    per_root_answers[root],
                    per_root_ballots[root],
                    excluded=excluded[root],
                    min_responses=min_responses,
                ),
            )
        )
    rank(result)
    return result


def rank(entries: list[OfficeFigures]) -> None:
    """Rank by headline share, highest first; ties share a place ("1, 2, 2, 4"). Units without
    a ballot in the period are not ranked."""
    scored = sorted(
        (e for e in entries if e.figures.headline is not None),
        key=lambda e: -(e.figures.headline or 0.0),
    )
    position = 0
    for i, entry in enumerate(scored):
        if i == 0 or entry.figures.headline != scored[i - 1].figures.headline:
            position = i + 1
        entry.rank = (position, len(scored))


def summarize(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    period: Period,
    *,
    survey_key: str | None = None,
    min_responses: int = 30,
) -> Summary:
    office = get_by_code(session, office_code)
    survey = catalog.get(survey_key) if survey_key else survey_for_office(session, catalog, office)
    if survey is None:
        raise NotFound(f"No survey {survey_key!r}", message_vi="Không có phiếu khảo sát này.")
    tree = load_tree(session)
    peers = tree.children[office.parent_id] if office.parent_id else [office.id or 0]
    now = figures_by_subtree(
        session, catalog, tree, peers, survey, period, min_responses=min_responses
    )
    mine = next(entry for entry in now if entry.office_id == office.id)
    if office.parent_id is None:
        mine.rank = None
    [before] = figures_by_subtree(
        session,
        catalog,
        tree,
        [office.id or 0],
        survey,
        period.previous(),
        min_responses=min_responses,
    )
    return Summary(office=mine, survey=survey, period=period, previous=before.figures)


def children_figures(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    period: Period,
    *,
    survey_key: str | None = None,
    min_responses: int = 30,
) -> tuple[SurveyDefinition, list[OfficeFigures]]:
    """Each child of the office with its own sub-tree's figures, ranked among themselves."""
    office = get_by_code(session, office_code)
    survey = catalog.get(survey_key) if survey_key else survey_for_office(session, catalog, office)
    if survey is None:
        raise NotFound(f"No survey {survey_key!r}", message_vi="Không có phiếu khảo sát này.")
    tree = load_tree(session)
    children = sorted(tree.children.get(office.id, []), key=lambda i: tree.offices[i][0])
    return survey, figures_by_subtree(
        session, catalog, tree, children, survey, period, min_responses=min_responses
    )
