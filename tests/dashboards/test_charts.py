from __future__ import annotations

from datetime import date, timedelta

from app.dashboards.charts import THIN, comparison_chart, trend_chart
from app.dashboards.service import Point


def _days(*points: tuple[int, float | None]) -> list[Point]:
    first = date(2026, 11, 1)
    return [
        Point(first + timedelta(days=i), ballots, headline)
        for i, (ballots, headline) in enumerate(points)
    ]


def test_days_without_ballots_leave_a_gap_not_a_fall_to_zero() -> None:
    chart = trend_chart(_days((12, 0.9), (15, 0.8), (0, None), (0, None), (20, 1.0), (11, 0.5)))
    assert len(chart.segments) == 2  # broken at the two empty days
    assert all(seg.count("M") == 1 for seg in chart.segments)
    assert [p.start.day for _, _, p, _ in chart.dots] == [1, 2, 5, 6]
    lowest = max(y for _, y, _, _ in chart.dots)
    assert lowest < chart.baseline  # 50 % is drawn at 50 %, nothing at 0 %


def test_days_with_few_ballots_are_marked_and_the_axis_is_dated() -> None:
    chart = trend_chart(_days(*[(THIN - 1, 0.7)] + [(THIN, 0.9)] * 29))
    assert [thin for *_, thin in chart.dots][:2] == [True, False]
    labels = [label for _, label in chart.ticks]
    assert labels[:3] == ["01/11", "06/11", "11/11"]
    assert labels[-1] == "30/11"
    assert chart.describe().startswith("Tỷ lệ hài lòng theo ngày, 30 ngày có phiếu")


def test_months_are_labelled_in_vietnamese() -> None:
    points = [Point(date(2026, m, 1), 40, 0.8) for m in range(1, 13)]
    chart = trend_chart(points, grain="m")
    assert [label for _, label in chart.ticks] == [f"Th {m}" for m in range(1, 13)]
    assert chart.per == "tháng"


def test_comparison_chart_draws_each_interval_around_its_bar() -> None:
    chart = comparison_chart(
        [("Xã An", 1, 0.9, (0.8, 0.95)), ("Xã Bình", 2, 0.5, (0.4, 0.6)), ("Xã Cư", 3, 0.2, None)]
    )
    span = chart.right - chart.left
    first, second, third = chart.rows
    assert first.width == round(0.9 * span, 2)
    assert first.low == round(chart.left + 0.8 * span, 2)
    assert first.high == round(chart.left + 0.95 * span, 2)
    assert first.y < second.y < third.y  # best first
    assert third.low is None
    assert "cao nhất Xã An 90 %" in chart.describe()
    long = comparison_chart([("Bộ phận một cửa – Trung tâm Phục vụ hành chính công", 1, 1.0, None)])
    assert long.rows[0].label.endswith("…")
    assert len(long.rows[0].label) == 30
