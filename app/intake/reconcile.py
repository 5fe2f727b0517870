"""Dossiers against ratings: how many returned dossiers were rated (the response rate), and the
dossier satisfaction indicator in the style of Quyết định 766/QĐ-TTg.

A dossier belongs to a period by the day its result was returned (Vietnam time). It is rated
when a ballot is bound to it (its idempotency key is the dossier's), whenever that ballot came.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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
    """Per root, summing the offices of its sub-tree."""
    out: dict[int, DossierFigures] = defaultdict(DossierFigures)
    owner: dict[int, list[int]] = defaultdict(list)  # office -> the roots it counts for
    for root in roots:
        for office_id in tree.subtree(root):
            owner[office_id].append(root)
    if not owner:
        return out
    conn = session.connection()
    sql = bulk(conn)
    mark = sql.mark
    start, end = period.bounds_utc()
    moment = [sql.row(DOSSIER, ("returned_at",), {"returned_at": t})[0] for t in (start, end)]
    offices, ids = sql.one_of("d.office_id", list(owner))
    key = "'d:' || d.code_hash"
    # One row per office, survey version and level of the rating (none when unrated).
    rows = sql.fetch(
        conn,
        "SELECT d.office_id, b.survey_key, b.survey_version, b.level, count(*), "  # noqa: S608
        "sum(CASE WHEN d.due_at IS NOT NULL AND d.returned_at > d.due_at THEN 1 ELSE 0 END) "
        f"FROM dossier d LEFT JOIN ballot b ON b.office_id = d.office_id "
        f"AND b.idempotency_key = {key} "
        f"WHERE {offices} AND d.returned_at >= {mark} "
        f"AND d.returned_at < {mark} "
        "GROUP BY d.office_id, b.survey_key, b.survey_version, b.level",
        [*ids, *moment],
    )
    _returned(out, owner, rows, versions)
    received = [sql.row(DOSSIER, ("received_at",), {"received_at": t})[0] for t in (start, end)]
    offices, ids = sql.one_of("office_id", list(owner))
    for office_id, n in sql.fetch(
        conn,
        "SELECT office_id, count(*) FROM dossier "  # noqa: S608
        f"WHERE {offices} AND received_at >= {mark} AND received_at < {mark} "
        "GROUP BY office_id",
        [*ids, *received],
    ):
        for root in owner[office_id]:
            out[root].registered += int(n)
    return out


def _returned(
    out: dict[int, DossierFigures],
    owner: dict[int, list[int]],
    rows: Iterable[Any],
    versions: dict[tuple[str, int], SurveyDefinition],
) -> None:
    for office_id, survey_key, version, level, n, late in rows:
        for root in owner[office_id]:
            _count(out[root], survey_key, version, level, int(n), late, versions)


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
