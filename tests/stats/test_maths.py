from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.core.errors import InvalidInput
from app.stats.maths import figures, wilson
from app.stats.periods import date_range, period_of
from app.surveys.catalog import SurveyCatalog
from tests.factories import SIX


def test_the_worked_example(catalog: SurveyCatalog) -> None:
    """200 ballots; every criterion 150 × Hài lòng, 40 × Rất hài lòng, 10 × Không hài lòng."""
    survey = catalog.surveys["cong-chuc"]
    answers = [
        ("cong-chuc", 1, q, value, n) for q in SIX for value, n in ((4, 150), (5, 40), (2, 10))
    ]
    ballots = [("cong-chuc", 1, 4, 150), ("cong-chuc", 1, 5, 40), ("cong-chuc", 1, 2, 10)]
    result = figures(survey, {("cong-chuc", 1): survey}, answers, ballots)
    assert result.ballot_count == 200
    assert result.enough_responses
    for criterion in result.criteria:
        shares = criterion.shares.shares()
        assert criterion.shares.total == 200
        assert shares["satisfied"] == pytest.approx(0.75)
        assert shares["very_satisfied"] == pytest.approx(0.20)
        assert shares["satisfied_or_better"] == pytest.approx(0.95)
        assert shares["neutral"] == 0
        low, high = criterion.shares.headline_ci95()  # type: ignore[misc]
        assert (low, high) == pytest.approx((0.9104, 0.9726), abs=1e-4)
    assert result.headline == pytest.approx(0.95)
    assert result.index == pytest.approx(0.95)
    assert result.ballots.shares()["satisfied_or_better"] == pytest.approx(0.95)
    assert result.criteria[0].label_vi == "Công chức có thái độ giao tiếp lịch sự"


def test_the_seed_report(catalog: SurveyCatalog) -> None:
    """Seed 000: 250 ballots, 210 satisfied (84 %), 40 very satisfied (16 %), none dissatisfied."""
    survey = catalog.surveys["cong-chuc"]
    key = survey.key
    result = figures(survey, {(key, 1): survey}, [], [(key, 1, 4, 210), (key, 1, 5, 40)])
    shares = result.ballots.shares()
    assert (shares["satisfied"], shares["very_satisfied"]) == (0.84, 0.16)
    assert shares["satisfied_or_better"] == 1.0
    assert result.ballots.counts["dissatisfied"] == 0


def test_empty_period(catalog: SurveyCatalog) -> None:
    survey = catalog.surveys["cong-chuc"]
    result = figures(survey, {(survey.key, 1): survey}, [], [])
    assert result.ballot_count == 0
    assert not result.enough_responses
    assert result.headline is None
    assert result.index is None
    assert result.criteria[0].shares.shares()["satisfied_or_better"] is None
    assert result.criteria[0].shares.headline_ci95() is None


def test_optional_questions_and_aspects(catalog: SurveyCatalog) -> None:
    sipas = catalog.surveys["sipas"]
    answers = [("sipas", 1, q.key, 5, 30) for q in sipas.questions if q.required]
    answers += [
        ("sipas", 1, "feedback_easy", 2, 4),
        ("sipas", 1, "feedback_easy", 4, 1),
    ]  # few gave feedback
    result = figures(sipas, {("sipas", 1): sipas}, answers, [("sipas", 1, 5, 30)], min_responses=30)
    answered = {c.key: c.shares.total for c in result.criteria}
    assert answered["polite"] == 30
    assert answered["feedback_easy"] == 5
    assert answered["feedback_channels"] == 0
    assert result.aspects["feedback"] == pytest.approx(0.2)
    assert result.aspects["officer"] == 1.0
    # Mean of the five aspects, not of the 22 criteria.
    assert result.index == pytest.approx((1 + 1 + 1 + 1 + 0.2) / 5)


def test_old_versions_count_with_their_own_scale(catalog: SurveyCatalog) -> None:
    five, three = catalog.surveys["cong-chuc"], catalog.surveys["cong-chuc-3-muc"]
    # A survey whose version 1 used three levels and version 2 five: value 3 meant
    # "very satisfied" then, "neutral" now.
    versions = {("cong-chuc", 1): three, ("cong-chuc", 2): five}
    rows = [("cong-chuc", 1, "polite", 3, 10), ("cong-chuc", 2, "polite", 3, 10)]
    result = figures(five, versions, rows, [])
    counts = result.criteria[0].shares.counts
    assert (counts["very_satisfied"], counts["neutral"]) == (10, 10)


def test_wilson_edges() -> None:
    assert wilson(0, 0) is None
    low, high = wilson(0, 10)  # type: ignore[misc]
    assert low == 0.0
    assert high == pytest.approx(0.2775, abs=1e-4)
    assert wilson(10, 10)[1] == pytest.approx(1.0)  # type: ignore[index]


def test_periods() -> None:
    assert period_of("week", date(2026, 11, 22)).start == date(2026, 11, 16)  # a Monday
    quarter = period_of("quarter", date(2026, 8, 15))
    assert (quarter.start, quarter.end) == (date(2026, 7, 1), date(2026, 9, 30))
    march = period_of("month", date(2026, 3, 31))
    assert (march.previous().start, march.previous().end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_of("year", date(2026, 1, 1)).previous().start == date(2025, 1, 1)
    span = date_range(date(2026, 5, 1), date(2026, 5, 10))
    assert (span.previous().start, span.previous().end) == (date(2026, 4, 21), date(2026, 4, 30))
    start, end = period_of("day", date(2026, 5, 1)).bounds_utc()
    assert start == datetime(2026, 4, 30, 17, tzinfo=UTC)
    assert end == datetime(2026, 5, 1, 17, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        date_range(date(2026, 5, 2), date(2026, 5, 1))


def _expand(grain: str, first: date, last: date) -> list[date]:
    from datetime import timedelta

    days, start = [], first
    while start <= last:
        end = {
            "d": start,
            "m": period_of("month", start).end,
            "y": period_of("year", start).end,
        }[grain]
        day = start
        while day <= end:
            days.append(day)
            day += timedelta(days=1)
        start = end + timedelta(days=1)
        if grain != "d":
            assert start.day == 1
    return days


def test_segments_cover_each_day_once() -> None:
    import random
    from datetime import timedelta

    from app.stats.periods import segments

    rng = random.Random(3)
    cases = [
        (date(2026, 1, 1), date(2026, 12, 31)),  # a calendar year: one bucket
        (date(2025, 3, 15), date(2027, 2, 10)),
        (date(2026, 5, 1), date(2026, 5, 31)),
        (date(2026, 5, 2), date(2026, 5, 30)),
        (date(2026, 2, 28), date(2026, 3, 1)),
        (date(2024, 12, 31), date(2025, 1, 1)),
    ]
    for _ in range(300):
        start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 1000))
        cases.append((start, start + timedelta(days=rng.randint(0, 900))))
    for start, end in cases:
        parts = segments(date_range(start, end))
        covered = [day for part in parts for day in _expand(*part)]
        expected = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        assert sorted(covered) == expected, (start, end, parts)
    assert segments(date_range(date(2026, 1, 1), date(2026, 12, 31))) == [
        ("y", date(2026, 1, 1), date(2026, 1, 1))
    ]
    assert len(segments(date_range(date(2026, 1, 15), date(2027, 1, 14)))) <= 5
