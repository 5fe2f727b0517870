"""Dossiers against ratings: how many returned dossiers were rated (the response rate), and the
dossier satisfaction indicator in the style of Quyết định 766/QĐ-TTg.

A dossier belongs to a period by the day its result was returned (Vietnam time). It is rated
when a ballot is bound to it (its idempotency key is the dossier's), whenever that ballot came.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.core.bulk import bulk
from app.models import Ballot, Dossier
from app.offices.tree import Tree
from app.stats.periods import Period
from app.surveys.definition import SATISFIED_OR_BETTER, SurveyDefinition

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
BALLOT = Ballot.__table__  # type: ignore[attr-defined]


@dataclass
class DossierFigures:
    registered: int = 0  # received in the period
    returned: int = 0  # returned in the period
    late: int = 0  # of those, returned after they were due
    rated: int = 0  # of those, with a rating
    rated_not_satisfied: int = 0  # of those rated, the ballot below "satisfied"

    @property
    def response_rate(self) -> float | None:
        return self.rated / self.returned if self.returned else None

    @property
    def indicator(self) -> float | None:
        """(returned − rated not satisfied − returned late) / returned: Quyết định 766's
        dossier satisfaction, without complaints (which hailong does not know)."""
        if not self.returned:
            return None
        return (self.returned - self.rated_not_satisfied - self.late) / self.returned

    def add(self, other: DossierFigures) -> None:
        for name in ("registered", "returned", "late", "rated", "rated_not_satisfied"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def dossier_figures(
    session: Session,
    tree: Tree,
    roots: list[int],
    period: Period,
    versions: dict[tuple[str, int], SurveyDefinition],
) -> dict[int, DossierFigures]:
    """Per root, summing the offices of its sub-tree.

    The database walks the sub-trees and sums per root (a recursive query from the roots): the
    national ranking's 34 provinces cover 10,000 units, whose ids sent as a parameter, and whose
    rows summed here, cost more than the rest of the ranking."""
    out: dict[int, DossierFigures] = defaultdict(DossierFigures)
    roots = [root for root in dict.fromkeys(roots) if root in tree.offices]
    if not roots:
        return out
    conn = session.connection()
    sql = bulk(conn)
    mark = sql.mark
    start, end = period.bounds_utc()
    chosen, ids = sql.one_of("id", roots)
    # UNION, not UNION ALL: a cycle in the tree (which the office service refuses) still ends.
    subtree = (
        "WITH RECURSIVE sub(id, root) AS ("  # noqa: S608 - names and placeholders only
        f"SELECT id, id FROM office WHERE {chosen} "
        "UNION SELECT o.id, sub.root FROM office o JOIN sub ON o.parent_id = sub.id) "
    )
    moment = [sql.row(DOSSIER, ("returned_at",), {"returned_at": t})[0] for t in (start, end)]
    key = "'d:' || d.code_hash"
    # One row per root, survey version and level of the rating (none when unrated).
    for root, survey_key, version, level, n, late in sql.fetch(
        conn,
        f"{subtree}SELECT sub.root, b.survey_key, b.survey_version, b.level, count(*), "  # noqa: S608
        "sum(CASE WHEN d.due_at IS NOT NULL AND d.returned_at > d.due_at THEN 1 ELSE 0 END) "
        "FROM sub JOIN dossier d ON d.office_id = sub.id "
        f"LEFT JOIN ballot b ON b.office_id = d.office_id AND b.idempotency_key = {key} "
        f"WHERE d.returned_at >= {mark} AND d.returned_at < {mark} "
        "GROUP BY sub.root, b.survey_key, b.survey_version, b.level",
        [*ids, *moment],
    ):
        _count(out[root], survey_key, version, level, int(n), late, versions)
    received = [sql.row(DOSSIER, ("received_at",), {"received_at": t})[0] for t in (start, end)]
    for root, n in sql.fetch(
        conn,
        f"{subtree}SELECT sub.root, count(*) FROM sub "  # noqa: S608
        f"JOIN dossier d ON d.office_id = sub.id "
        f"WHERE d.received_at >= {mark} AND d.received_at < {mark} GROUP BY sub.root",
        [*ids, *received],
    ):
        out[root].registered += int(n)
    return out


def _count(
    into: DossierFigures,
    survey_key: str | None,
    version: int | None,
    level: int | None,
    n: int,
    late: Any,
    versions: dict[tuple[str, int], SurveyDefinition],
) -> None:
    """One row of returned dossiers (with the level of their rating, if rated)."""
    into.returned += n
    into.late += int(late or 0)
    if survey_key is None or version is None:
        return
    into.rated += n
    survey = versions.get((survey_key, version))
    category = survey.categories.get(level) if survey is not None and level else None
    if category not in SATISFIED_OR_BETTER:  # unclassified counts as not satisfied
        into.rated_not_satisfied += n


def flags(rows: dict[int, DossierFigures], dossier_ballots: dict[int, int]) -> dict[int, str]:
    """Units whose numbers do not add up: more dossier ratings than returned dossiers, or a
    response rate far below their peers' (a sign the QR goes only to pleased citizens)."""
    found: dict[int, str] = {}
    rates = sorted(r for f in rows.values() if f.returned >= 20 and (r := f.response_rate))
    median = rates[len(rates) // 2] if rates else None
    for office_id, figures in rows.items():
        if dossier_ballots.get(office_id, 0) > figures.returned:
            found[office_id] = "nhiều phiếu theo hồ sơ hơn số hồ sơ đã trả"
        elif (
            median is not None
            and figures.returned >= 20
            and (figures.response_rate or 0) < median / 3
        ):
            found[office_id] = "tỷ lệ đánh giá thấp xa so với các đơn vị khác"
    return found
