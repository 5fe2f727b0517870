"""Dossiers against ratings: how many returned dossiers were rated (the response rate), and the
dossier satisfaction indicator in the style of Quyết định 766/QĐ-TTg.

A dossier belongs to a period by the day its result was returned (Vietnam time). It is rated
when a ballot is bound to it (its idempotency key is the dossier's), whenever that ballot came.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from app.offices.tree import Tree
from app.stats import dossier_rollup
from app.stats.periods import Period
from app.surveys.definition import SATISFIED_OR_BETTER, SurveyDefinition


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


def dossier_figures_later(
    session: Session,
    tree: Tree,
    roots: list[int],
    period: Period,
    versions: dict[tuple[str, int], SurveyDefinition],
) -> Callable[[], dict[int, DossierFigures]]:
    """Per root, summing the offices of its sub-tree: read from the roots' own counts
    (``dossier_rollup.py``), so a national ranking costs its 34 provinces' rows, not the
    year's dossiers. A rating is pleased when its version's scale puts its level at satisfied
    or better (an unclassifiable ballot is not). Sent now, read when the result is called
    (``Bulk.overlapped``)."""
    roots = [root for root in dict.fromkeys(roots) if root in tree.offices]
    pleased = [
        (key, version, level)
        for (key, version), survey in versions.items()
        for level, category in survey.categories.items()
        if category in SATISFIED_OR_BETTER
    ]
    summed = dossier_rollup.totals_later(session.connection(), roots, period, pleased, tree.tops)

    def figures() -> dict[int, DossierFigures]:
        out: dict[int, DossierFigures] = defaultdict(DossierFigures)
        for root, sums in summed().items():
            out[root] = DossierFigures(*sums)
        return out

    return figures


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
