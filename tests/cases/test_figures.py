"""Case figures against a recount of the cases themselves, per unit and per sub-tree."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from app.cases import figures
from app.cases.figures import CaseFigures
from app.models import Case
from app.models.types import utcnow
from app.stats.periods import date_range
from app.surveys.catalog import SurveyCatalog
from tests.cases.conftest import MONDAY, dissatisfied
from tests.factories import bearer, make_office, make_user


def _recount(cases: list[Case]) -> CaseFigures:
    now = utcnow()
    answered = [c for c in cases if c.answered_at is not None]
    return CaseFigures(
        opened=len(cases),
        answered=len(answered),
        on_time=sum(1 for c in answered if c.answered_at <= c.due_at),  # type: ignore[operator]
        overdue=sum(
            1 for c in cases if c.answered_at is None and c.status != "closed" and c.due_at < now
        ),
        handling_rated=sum(1 for c in cases if c.handling_satisfied is not None),
        handling_satisfied=sum(1 for c in cases if c.handling_satisfied is True),
    )


def test_figures_equal_a_recount(
    client: TestClient, db: Session, registered: SurveyCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    province = make_office(db, registered, kind="province")
    a = make_office(db, registered, parent=province.code)
    b = make_office(db, registered, parent=province.code)
    b1 = make_office(db, registered, parent=b.code)
    elsewhere = make_office(db, registered)  # under none of the roots: in no figure
    for office, n in ((a, 4), (b, 2), (b1, 3), (elsewhere, 2)):
        for i in range(n):
            dissatisfied(db, registered, office, MONDAY - timedelta(days=3 * i))
    cases = list(db.exec(select(Case)))
    # Answer some on time, one late, rate some of the answers.
    for i, case in enumerate(cases):
        if i % 3 == 0:
            case.answered_at = case.opened_at + timedelta(days=1)
            case.answer, case.status = "Đã xử lý", "answered"
            case.handling_satisfied = i % 2 == 0
        elif i == 4:
            case.answered_at = case.due_at + timedelta(hours=1)
            case.answer, case.status = "Đã xử lý, chậm", "answered"
        db.add(case)
    db.flush()
    period = date_range(date(2026, 11, 1), date(2026, 11, 30))
    start, end = period.bounds_utc()
    in_period = [c for c in cases if start <= c.opened_at < end]
    subtree = {province.id: [a, b, b1], a.id: [a], b.id: [b, b1]}
    got = figures.of_subtrees(db, [province.id, a.id, b.id], period)  # type: ignore[list-item]
    for root, members in subtree.items():
        ids = {m.id for m in members}
        assert got[root] == _recount([c for c in in_period if c.office_id in ids])  # type: ignore[index]
    # A sub-tree too large to list by id (a nation's) is counted from every office's cases.
    monkeypatch.setattr(figures, "LISTED_OFFICES", 1)
    assert figures.of_subtrees(db, [province.id, a.id, b.id], period) == got  # type: ignore[list-item]
    whole = got[province.id]  # type: ignore[index]
    assert whole.on_time_ratio == whole.on_time / (whole.answered + whole.overdue)
    assert whole.handling_ratio == whole.handling_satisfied / whole.handling_rated
    api = client.get(
        f"/api/v1/offices/{province.code}/children?from=2026-11-01&to=2026-11-30",
        headers=bearer(db, make_user(db, "inspector")),
    ).json()
    by_code = {child["office"]["code"]: child["cases"] for child in api["children"]}
    assert by_code[b.code]["opened"] == got[b.id].opened  # type: ignore[index]
    assert by_code[a.code] == got[a.id].public()  # type: ignore[index]


def test_ratios_are_none_with_nothing_under_them() -> None:
    empty = CaseFigures(opened=3)
    assert (empty.on_time_ratio, empty.handling_ratio) == (None, None)
