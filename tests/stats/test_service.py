from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from app.stats.periods import date_range, period_of
from app.stats.service import children_figures, summarize
from app.surveys.catalog import SurveyCatalog
from tests.factories import add_ballots, make_office

MAY = period_of("month", date(2026, 5, 10))


@pytest.fixture
def province(db: Session, registered: SurveyCatalog) -> str:
    make_office(db, registered, code="P", name="Tỉnh", kind="province")
    for commune, unit in (("C1", "U1"), ("C2", "U2"), ("C3", "U3")):
        make_office(db, registered, code=commune, name=f"Xã {commune}", parent="P", kind="commune")
        make_office(db, registered, code=unit, name=f"Một cửa {commune}", parent=commune)
    # May: U1 95 % satisfied or better, U2 50 %, U3 nothing. April: U1 50 %.
    add_ballots(db, registered, "U1", [4] * 150 + [5] * 40 + [2] * 10, date(2026, 5, 1))
    add_ballots(db, registered, "U2", [5, 4, 3, 2], date(2026, 5, 31))
    add_ballots(db, registered, "U1", [5, 2], date(2026, 4, 30))
    return "P"


def test_office_summary_ranks_and_compares(
    db: Session, registered: SurveyCatalog, province: str
) -> None:
    summary = summarize(db, registered, "C1", MAY)
    fig = summary.office.figures
    assert fig.ballot_count == 200
    assert fig.headline == pytest.approx(0.95)
    assert fig.criteria[0].shares.shares()["satisfied"] == pytest.approx(0.75)
    # C2 has 4 ballots, fewer than the minimum (30): no place, and "of" counts ranked units.
    assert summary.office.rank == (1, 1)
    assert summary.previous.ballot_count == 2
    assert summary.change == pytest.approx(0.95 - 0.5)
    c2 = summarize(db, registered, "C2", MAY).office
    assert c2.rank is None
    assert c2.unranked_vi == "chưa đủ phiếu để xếp hạng"
    # With a minimum of 1, C1 then C2; C3 has no ballot at all.
    assert summarize(db, registered, "C2", MAY, min_responses=1).office.rank == (2, 2)
    assert summarize(db, registered, "C3", MAY, min_responses=1).office.rank is None


def test_province_sums_its_sub_tree(db: Session, registered: SurveyCatalog, province: str) -> None:
    summary = summarize(db, registered, "P", MAY)
    assert summary.office.figures.ballot_count == 204
    assert summary.office.rank is None  # the root has no peers
    survey, _, children = children_figures(db, registered, "P", MAY, min_responses=1)
    assert survey.key == "cong-chuc"
    assert [(c.code, c.figures.ballot_count, c.rank) for c in children] == [
        ("C1", 200, (1, 2)),
        ("C2", 4, (2, 2)),
        ("C3", 0, None),
    ]
    _, _, strict = children_figures(db, registered, "P", MAY)
    assert [c.rank for c in strict] == [(1, 1), None, None]
    assert not strict[1].figures.enough_responses


def test_period_edges_are_midnight_in_vietnam(
    db: Session, registered: SurveyCatalog, province: str
) -> None:
    assert (
        summarize(
            db, registered, "U2", date_range(date(2026, 5, 31), date(2026, 5, 31))
        ).office.figures.ballot_count
        == 4
    )
    assert (
        summarize(
            db, registered, "U2", date_range(date(2026, 6, 1), date(2026, 6, 30))
        ).office.figures.ballot_count
        == 0
    )
    empty = summarize(db, registered, "U3", MAY)
    assert empty.office.figures.headline is None
    assert empty.change is None


class _Shown:
    """What ``rank`` reads of a unit's figures."""

    def __init__(self, headline: float, low: float, high: float) -> None:
        self.headline, self.interval, self.enough_responses = headline, (low, high), True

    def headline_ci95(self) -> tuple[float, float]:
        return self.interval


def test_what_is_printed_equal_is_ranked_equal_and_close_calls_are_marked() -> None:
    from app.stats.service import OfficeFigures, rank

    def unit(code: str, headline: float, low: float, high: float) -> OfficeFigures:
        return OfficeFigures(0, code, code, _Shown(headline, low, high))  # type: ignore[arg-type]

    units = [
        unit("A", 0.8134, 0.80, 0.83),  # printed 81,3 %
        unit("B", 0.8126, 0.79, 0.82),  # printed 81,3 % too
        unit("C", 0.7000, 0.68, 0.72),  # well below B's interval
        unit("D", 0.6950, 0.67, 0.71),  # within C's
    ]
    rank(units)
    assert [u.rank for u in units] == [(1, 4), (1, 4), (3, 4), (4, 4)]
    assert [u.close_to_above for u in units] == [False, False, False, True]


def test_a_unit_is_placed_in_its_provinces_ranking_not_among_its_siblings(
    db: Session, registered: SurveyCatalog, province: str
) -> None:
    """U2 is the only unit of its commune: its rank is its place among the province's units (the
    ranking the inspectors publish), not "1/1" among its siblings; a commune's is among its
    siblings, and says so."""
    unit = summarize(db, registered, "U2", MAY, min_responses=2)
    assert unit.office.rank == (2, 2)
    assert unit.ranked_among == "các đơn vị được xếp hạng của Tỉnh"
    commune = summarize(db, registered, "C2", MAY, min_responses=2)
    assert commune.office.rank == (2, 2)
    assert commune.ranked_among == "các đơn vị trực thuộc Tỉnh"
    assert summarize(db, registered, "P", MAY).office.rank is None
