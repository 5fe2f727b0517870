"""Figures for an office's sub-tree, a survey and a period, read from the rollups only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from app.core.bulk import bulk
from app.core.errors import NotFound, OfficeNotFound
from app.models import Office, SurveyVersion
from app.offices.tree import Tree, load_tree
from app.stats.counted import excluded_counts, pending_counts
from app.stats.dossier_figures import DossierFigures, dossier_figures_later, flags
from app.stats.maths import Figures, assemble, scales
from app.stats.periods import Period
from app.stats.reads import tallies_later
from app.surveys.catalog import Comparison, SurveyCatalog
from app.surveys.definition import SurveyDefinition
from app.surveys.service import survey_for_office, survey_version

NOT_COMPARABLE = "not_comparable"
TOO_FEW_BALLOTS = "too_few_ballots"
UNRANKED_VI = {
    NOT_COMPARABLE: "không cùng bộ tiêu chí",
    TOO_FEW_BALLOTS: "chưa đủ phiếu để xếp hạng",
}


@dataclass
class OfficeFigures:
    office_id: int
    code: str
    name: str
    figures: Figures
    rank: tuple[int, int] | None = None  # (position, of ranked units)
    survey_key: str = ""  # the survey the unit uses
    comparable: bool = True  # its survey asks the criteria being compared
    unranked: str | None = None  # why it has no rank: NOT_COMPARABLE or TOO_FEW_BALLOTS
    dossiers: DossierFigures = field(default_factory=DossierFigures)
    flag: str | None = None  # numbers that do not add up (``reconcile.flags``)
    flagged: int = 0  # ballots a detector flagged, awaiting an inspector (still counted)
    # Its interval overlaps that of the unit ranked just above it: the two are not told apart
    # with 95 % confidence ("không khác biệt có ý nghĩa thống kê").
    close_to_above: bool = False

    @property
    def unranked_vi(self) -> str | None:
        return UNRANKED_VI.get(self.unranked or "")


@dataclass
class Summary:
    office: OfficeFigures
    survey: SurveyDefinition
    period: Period
    previous: Figures
    comparison: Comparison
    # The ranking the office's rank is its place in, in words: for a unit, the one its province
    # publishes (every graded unit of the province); else its siblings under their parent.
    ranked_among: str = ""

    @property
    def change(self) -> float | None:
        """Change of the headline share from the previous period, in share points."""
        now, before = self.office.figures.headline, self.previous.headline
        return None if now is None or before is None else now - before


def choose(
    session: Session, catalog: SurveyCatalog, office: Office, survey_key: str | None
) -> tuple[SurveyDefinition, Comparison]:
    """What figures for ``office`` cover: by default every survey sharing its survey's criteria
    (those criteria only); ``survey_key`` narrows to that one survey and all its questions."""
    if survey_key:
        return _named(catalog, survey_key)
    survey = survey_for_office(session, catalog, office)
    return survey, catalog.comparison(survey)


def placed(
    tree: Tree, catalog: SurveyCatalog, office_code: str, survey_key: str | None
) -> tuple[int, int | None, SurveyDefinition, Comparison]:
    """``choose`` for an office known by its code, from the cached tree (no query): its id,
    its parent's, and what its figures cover."""
    office_id = tree.ids.get(office_code)
    if office_id is None:
        raise OfficeNotFound(office_code)
    parent_id = tree.offices[office_id][2]
    if survey_key:
        return office_id, parent_id, *_named(catalog, survey_key)
    used = tree.survey_key(office_id, set(catalog.surveys), catalog.default_key)
    survey = catalog.surveys[used]
    return office_id, parent_id, survey, catalog.comparison(survey)


def _named(catalog: SurveyCatalog, survey_key: str) -> tuple[SurveyDefinition, Comparison]:
    """One survey asked for by its key, on its own with all its questions."""
    survey = catalog.get(survey_key)
    if survey is None:
        raise NotFound(f"No survey {survey_key!r}", message_vi="Không có phiếu khảo sát này.")
    return survey, catalog.alone(survey)


def describe(catalog: SurveyCatalog, comparison: Comparison, survey: SurveyDefinition) -> str:
    """What the figures cover, in the words of the page: the survey, or the shared criteria and
    the surveys asking them."""
    if not comparison.shared:
        return survey.title_vi
    shared = catalog.criteria[comparison.key]
    titles = [catalog.surveys[k].title_vi for k in comparison.surveys if k in catalog.surveys]
    return f"{shared.title_vi} — gộp các phiếu: " + "; ".join(titles)


# Built once: every figure asks, and building the statement cost more than running it.
_VERSIONS = select(SurveyVersion.key, SurveyVersion.version).where(
    col(SurveyVersion.key).in_(bindparam("keys", expanding=True))
)


def versions_of(
    session: Session, catalog: SurveyCatalog, keys: tuple[str, ...]
) -> dict[tuple[str, int], SurveyDefinition]:
    found: dict[tuple[str, int], SurveyDefinition] = {}
    for key, number in session.connection().execute(_VERSIONS, {"keys": list(keys)}):
        survey = survey_version(session, catalog, key, number)
        if survey is not None:
            found[(key, number)] = survey
    for key in keys:
        current = catalog.get(key)
        if current is not None:
            found[(key, current.version)] = current
    return found


def figures_by_subtree(
    session: Session,
    catalog: SurveyCatalog,
    tree: Tree,
    roots: list[int],
    survey: SurveyDefinition,
    period: Period,
    *,
    comparison: Comparison | None = None,
    min_responses: int = 30,
    reconcile: bool = True,
) -> list[OfficeFigures]:
    """Figures for each root's whole sub-tree, from the roots' own rollup rows, ranked; with
    ``reconcile``, each with its dossiers against its ratings too."""
    comparison = comparison or catalog.comparison(survey)
    versions = versions_of(session, catalog, comparison.surveys)
    # The dossier sums are computed by the server while the criteria rows are summed here.
    conn = session.connection()
    with bulk(conn).overlapped(conn):
        counting = tallies_later(session, comparison, period, tree, roots, scales(versions))
        reconciling = (
            dossier_figures_later(session, tree, roots, period, versions) if reconcile else dict
        )
        counted, dossiers = counting(), reconciling()
    start, end = period.bounds_utc()
    chosen = set(roots)
    excluded: dict[int, int] = defaultdict(int)
    flagged: dict[int, int] = defaultdict(int)
    # Exclusions and pending flags are few: counted for every office, then given to the roots.
    for office_id, n in excluded_counts(session, list(comparison.surveys), start, end).items():
        for root in tree.roots_over(office_id, chosen):
            excluded[root] += n
    known = set(catalog.surveys)
    questions = comparison.questions if comparison.shared else None
    result = []
    for root in roots:
        code, name, _ = tree.offices[root]
        used = tree.survey_key(root, known, catalog.default_key)
        result.append(
            OfficeFigures(
                office_id=root,
                code=code,
                name=name,
                survey_key=used,
                comparable=used in comparison.surveys,
                figures=assemble(
                    survey,
                    counted[root],
                    questions=questions,
                    excluded=excluded[root],
                    min_responses=min_responses,
                ),
                dossiers=dossiers.get(root, DossierFigures()),
            )
        )
    rank(result)
    if not reconcile:
        return result
    for office_id, n in pending_counts(session, None, start, end).items():
        for root in tree.roots_over(office_id, chosen):
            flagged[root] += n
    for entry in result:
        entry.flagged = flagged[entry.office_id]
    marked = flags(
        {e.office_id: e.dossiers for e in result},
        {e.office_id: e.figures.sources.get("dossier", 0) for e in result},
    )
    for entry in result:
        entry.flag = marked.get(entry.office_id)
    return result


def published(headline: float) -> str:
    """A headline as rankings print it (one decimal of a percent): units printed equal are
    ranked equal."""
    return f"{headline * 100:.1f}"


def rank(entries: list[OfficeFigures]) -> None:
    """Rank by headline share as printed, highest first; what prints equal shares a place
    ("1, 2, 2, 4"). A unit whose survey does not ask the criteria compared, or with fewer
    ballots than the minimum, gets no place, and "of" counts the ranked units only. A unit
    whose interval overlaps the one of the unit placed just above it is marked."""
    for entry in entries:
        entry.rank = None
        if not entry.comparable:
            entry.unranked = NOT_COMPARABLE
        elif not entry.figures.enough_responses or entry.figures.headline is None:
            entry.unranked = TOO_FEW_BALLOTS
        else:
            entry.unranked = None
    scored = sorted(
        (e for e in entries if e.unranked is None),
        key=lambda e: -(e.figures.headline or 0.0),
    )
    position, above = 0, None
    for i, entry in enumerate(scored):
        shown = published(entry.figures.headline or 0.0)
        if i == 0 or shown != published(scored[i - 1].figures.headline or 0.0):
            position, above = i + 1, (scored[i - 1] if i else None)
        entry.rank = (position, len(scored))
        entry.close_to_above = above is not None and _overlap(entry, above)


def _overlap(entry: OfficeFigures, above: OfficeFigures) -> bool:
    mine, theirs = entry.figures.headline_ci95(), above.figures.headline_ci95()
    return mine is not None and theirs is not None and mine[1] >= theirs[0]


def peers_of(tree: Tree, office_id: int) -> tuple[list[int], str]:
    """The offices a rank places ``office_id`` among, and which ranking that is in words: a
    unit at the bottom of the tree, among its province's units (the ranking its inspectors
    publish); an office above, among its siblings; a root, alone (no rank)."""
    publisher = tree.published_ranking(office_id)
    parent_id = tree.offices[office_id][2]
    if publisher is not None:
        among = f"các đơn vị được xếp hạng của {tree.offices[publisher][1]}"
        return tree.leaves(publisher), among
    if parent_id is not None:
        return tree.children[parent_id], f"các đơn vị trực thuộc {tree.offices[parent_id][1]}"
    return [office_id], ""


def summarize(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    period: Period,
    *,
    survey_key: str | None = None,
    min_responses: int = 30,
) -> Summary:
    tree = load_tree(session)
    office_id, parent_id, survey, comparison = placed(tree, catalog, office_code, survey_key)
    peers, among = peers_of(tree, office_id)
    now = figures_by_subtree(
        session,
        catalog,
        tree,
        peers,
        survey,
        period,
        comparison=comparison,
        min_responses=min_responses,
    )
    mine = next(entry for entry in now if entry.office_id == office_id)
    if parent_id is None:
        mine.rank = None
    [before] = figures_by_subtree(
        session,
        catalog,
        tree,
        [office_id],
        survey,
        period.previous(),
        comparison=comparison,
        min_responses=min_responses,
        reconcile=False,  # only the previous headline is shown
    )
    return Summary(
        office=mine,
        survey=survey,
        period=period,
        previous=before.figures,
        comparison=comparison,
        ranked_among=among,
    )


def children_figures(
    session: Session,
    catalog: SurveyCatalog,
    office_code: str,
    period: Period,
    *,
    survey_key: str | None = None,
    min_responses: int = 30,
) -> tuple[SurveyDefinition, Comparison, list[OfficeFigures]]:
    """Each child of the office with its own sub-tree's figures, ranked among themselves."""
    tree = load_tree(session)
    office_id, _, survey, comparison = placed(tree, catalog, office_code, survey_key)
    children = sorted(tree.children.get(office_id, []), key=lambda i: tree.offices[i][0])
    return (
        survey,
        comparison,
        figures_by_subtree(
            session,
            catalog,
            tree,
            children,
            survey,
            period,
            comparison=comparison,
            min_responses=min_responses,
        ),
    )
