"""Public results (``/cong-khai``): what an office that publishes shows anyone, with no sign-in.

Only figures: the headline share, the ballots behind it, its 95 % interval, the unit's place in
the ranking it belongs to and the dossier indicator of Quyết định 766 where dossiers are known,
for this month and the eleven before. A unit under the minimum of ballots shows "chưa đủ
phiếu", never a share. Never a comment, an officer, a flag or anything about one person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.core.errors import NotFound
from app.offices.tree import Tree, load_tree
from app.stats.periods import Period, period_of
from app.stats.service import OfficeFigures, figures_by_subtree, peers_of, placed
from app.surveys.catalog import Comparison, SurveyCatalog
from app.surveys.definition import SurveyDefinition

MONTHS = 12


class NotPublic(NotFound):
    message_vi = "Đơn vị này chưa công khai kết quả khảo sát."


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@dataclass(frozen=True)
class Month:
    period: Period
    entry: OfficeFigures
    ranked_among: str


@dataclass(frozen=True)
class PublicOffice:
    office: Place
    parent: Place | None  # when it publishes too
    months: list[Month]  # the latest first
    children: list[Month]  # this month, each publishing child
    min_responses: int


def months_back(today: date, count: int = MONTHS) -> list[Period]:
    periods = [period_of("month", today)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods


def month_figures(
    session: Session,
    catalog: SurveyCatalog,
    tree: Tree,
    office_ids: list[int],
    period: Period,
    min_responses: int,
) -> dict[int, Month]:
    """Each office's figures for ``period``, ranked among its peers (its province's units, or
    its siblings): one computation per peer group and survey, however many offices ask."""
    groups: dict[tuple[tuple[int, ...], str], list[int]] = defaultdict(list)
    among: dict[tuple[int, ...], str] = {}
    chosen: dict[str, tuple[SurveyDefinition, Comparison]] = {}
    for office_id in office_ids:
        group, words = peers_of(tree, office_id)
        _, _, survey, comparison = placed(tree, catalog, tree.offices[office_id][0], None)
        chosen[survey.key] = (survey, comparison)
        groups[(tuple(group), survey.key)].append(office_id)
        among[tuple(group)] = words
    found: dict[int, Month] = {}
    for (peers, survey_key), wanted in groups.items():
        survey, comparison = chosen[survey_key]
        entries = figures_by_subtree(
            session,
            catalog,
            tree,
            list(peers),
            survey,
            period,
            comparison=comparison,
            min_responses=min_responses,
        )
        for entry in entries:
            if entry.office_id in wanted:
                if len(peers) == 1:
                    entry.rank = None  # alone: a place among nobody is no rank
                found[entry.office_id] = Month(period, entry, among[peers])
    return found


def public_roots(session: Session) -> list[Place]:
    tree = load_tree(session)
    return [Place(*tree.offices[i][:2]) for i in tree.published_roots()]


def public_office(
    session: Session, catalog: SurveyCatalog, code: str, today: date, min_responses: int
) -> PublicOffice:
    """What ``/cong-khai/{code}`` shows; ``NotPublic`` for an office that does not publish
    (or does not exist: the two are not told apart)."""
    tree = load_tree(session)
    office_id = tree.ids.get(code)
    if office_id is None or not tree.publishes(office_id):
        raise NotPublic(f"office {code!r} does not publish its results")
    code, name, parent_id = tree.offices[office_id]
    months = [
        month_figures(session, catalog, tree, [office_id], period, min_responses)[office_id]
        for period in months_back(today)
    ]
    children = sorted(
        (c for c in tree.children.get(office_id, []) if tree.publishes(c)),
        key=lambda c: tree.offices[c][0],
    )
    now = month_figures(session, catalog, tree, children, months[0].period, min_responses)
    parent = (
        Place(*tree.offices[parent_id][:2])
        if parent_id is not None and tree.publishes(parent_id)
        else None
    )
    return PublicOffice(
        office=Place(code, name),
        parent=parent,
        months=months,
        children=[now[c] for c in children],
        min_responses=min_responses,
    )
