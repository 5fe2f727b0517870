"""Charts drawn on the server as SVG: nothing to download, nothing from a CDN, and they print.

Geometry only; the templates add the words. Widths and heights are presentation attributes, so
the strict Content-Security-Policy (no inline styles) holds."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.dashboards.service import Point
from app.stats.maths import CATEGORIES

WIDTH, HEIGHT, PAD = 640, 200, 28
# The trend drawn for a phone (about 300 px across): at 1:1, its text stays 11 px or more.
NARROW = 300
TICK_GAP = 44  # the least room between two dates under the axis


@dataclass
class Segment:
    category: str
    x: float
    width: float
    share: float


def stacked_bar(counts: dict[str, int], width: float = 100.0) -> list[Segment]:
    """Level shares as consecutive segments, best level first (percent of ``width``)."""
    total = sum(counts.values())
    segments, x = [], 0.0
    for category in CATEGORIES:
        n = counts.get(category, 0)
        if total and n:
            share = n / total
            segments.append(Segment(category, round(x, 3), round(share * width, 3), share))
            x += share * width
    return segments


THIN = 10  # a day or month with fewer ballots than this is marked: its share can swing widely
MONTHS_VI = ("Th 1", "Th 2", "Th 3", "Th 4", "Th 5", "Th 6", "Th 7", "Th 8", "Th 9", "Th 10",
             "Th 11", "Th 12")  # fmt: skip


@dataclass
class TrendChart:
    width: int
    height: int
    grain: str  # "d" (a point a day) or "m" (a month)
    segments: list[str]  # SVG paths, one per run of points with ballots: no line across gaps
    dots: list[tuple[float, float, Point, bool]]  # x, y, point, too few ballots (hollow)
    bars: list[tuple[float, float, float, Point]]  # x, y, height, point
    bar_width: float
    gridlines: list[tuple[float, int]]  # y, percent
    ticks: list[tuple[float, str]]  # x, date label under the axis
    max_ballots: int
    baseline: float
    thin: int = THIN

    @property
    def per(self) -> str:
        return "tháng" if self.grain == "m" else "ngày"

    def label(self, point: Point) -> str:
        return _label(point, self.grain)

    def describe(self) -> str:
        """The chart in words, for screen readers: its granularity, range and the points."""
        with_ballots = [d[2] for d in self.dots]
        if not with_ballots:
            return f"Tỷ lệ hài lòng theo {self.per}: chưa có phiếu trong kỳ."
        best = max(with_ballots, key=lambda p: p.headline or 0.0)
        worst = min(with_ballots, key=lambda p: p.headline or 0.0)
        return (
            f"Tỷ lệ hài lòng theo {self.per}, {len(with_ballots)} {self.per} có phiếu; "
            f"cao nhất {round((best.headline or 0) * 100)} % ({self.label(best)}), "
            f"thấp nhất {round((worst.headline or 0) * 100)} % ({self.label(worst)}). "
            f"Cột: số phiếu mỗi {self.per}, nhiều nhất {self.max_ballots}."
        )


def _label(point: Point, grain: str) -> str:
    """A point's date under the axis: "05/11" for a day, "Th 11" for a month."""
    return MONTHS_VI[point.start.month - 1] if grain == "m" else f"{point.start:%d/%m}"


def trend_chart(points: list[Point], grain: str = "d", width: int = WIDTH) -> TrendChart:
    """The share line over the period with the ballots as bars under it. Days (or months)
    without ballots leave a gap in the line rather than a fall to 0 %; those with fewer than
    ``THIN`` ballots get a hollow dot. Dates under the axis as many as fit ``width``."""
    inner_w, inner_h = width - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(1, len(points))
    most = max((p.ballots for p in points), default=0)
    dots: list[tuple[float, float, Point, bool]] = []
    bars: list[tuple[float, float, float, Point]] = []
    segments: list[str] = []
    path: list[str] = []
    ticks: list[tuple[float, str]] = []
    every = 1 if grain == "m" or len(points) <= 10 else 7 if len(points) > 31 else 5
    every = max(every, math.ceil(TICK_GAP / step))
    for i, point in enumerate(points):
        x = PAD + step * (i + 0.5)
        if i % every == 0 or (grain == "d" and i == len(points) - 1 and i % every > every // 2):
            ticks.append((round(x, 2), _label(point, grain)))
        if point.ballots:
            h = inner_h * 0.35 * point.ballots / most
            bars.append(
                (round(x - step * 0.35, 2), round(PAD + inner_h - h, 2), round(h, 2), point)
            )
        if point.headline is None:
            if path:
                segments.append(" ".join(path))
                path = []
            continue
        y = PAD + inner_h * (1 - point.headline)
        dots.append((round(x, 2), round(y, 2), point, point.ballots < THIN))
        path.append(f"{'L' if path else 'M'}{x:.1f} {y:.1f}")
    if path:
        segments.append(" ".join(path))
    grid = [(round(PAD + inner_h * (1 - pct / 100), 2), pct) for pct in (0, 50, 100)]
    return TrendChart(
        width=width,
        height=HEIGHT,
        grain=grain,
        segments=[seg for seg in segments if " L" in seg],  # a lone point is its dot
        dots=dots,
        bars=bars,
        bar_width=round(step * 0.7, 2),
        gridlines=grid,
        ticks=ticks,
        max_ballots=most,
        baseline=PAD + inner_h,
    )


CMP_LABEL, CMP_ROW, CMP_TOP = 230, 18, 22  # label column, row height, room for the axis


@dataclass
class ComparisonRow:
    y: float  # the row's middle
    name: str
    label: str  # the name, shortened to fit
    rank: int
    width: float  # the headline's bar
    low: float | None  # the interval's ends, x
    high: float | None
    headline: float
    interval: tuple[float, float] | None


@dataclass
class ComparisonChart:
    width: int
    height: int
    left: int
    right: int
    rows: list[ComparisonRow]
    gridlines: list[tuple[float, int]]  # x, percent

    def describe(self) -> str:
        if not self.rows:
            return "Chưa có đơn vị nào đủ điều kiện xếp hạng."
        first, last = self.rows[0], self.rows[-1]
        return (
            f"{len(self.rows)} đơn vị được xếp hạng theo tỷ lệ hài lòng; cao nhất {first.name} "
            f"{round(first.headline * 100)} %, thấp nhất {last.name} "
            f"{round(last.headline * 100)} %. Mỗi thanh có khoảng tin cậy 95 % của đơn vị."
        )


def comparison_chart(
    ranked: list[tuple[str, int, float, tuple[float, float] | None]],
) -> ComparisonChart:
    """One bar per ranked unit, best first, its 95 % interval drawn across the bar's end:
    ``ranked`` holds (name, rank, headline, interval). Units without a rank are listed apart
    by the page, not drawn."""
    left, right = CMP_LABEL, WIDTH - 44
    span = right - left
    rows = []
    for i, (name, rank, headline, interval) in enumerate(ranked):
        label = name if len(name) <= 30 else name[:29] + "…"
        low, high = (
            (left + interval[0] * span, left + interval[1] * span) if interval else (None, None)
        )
        rows.append(
            ComparisonRow(
                y=CMP_TOP + CMP_ROW * (i + 0.5),
                name=name,
                label=label,
                rank=rank,
                width=round(headline * span, 2),
                low=None if low is None else round(low, 2),
                high=None if high is None else round(high, 2),
                headline=headline,
                interval=interval,
            )
        )
    grid = [(round(left + span * pct / 100, 2), pct) for pct in (0, 25, 50, 75, 100)]
    return ComparisonChart(
        width=WIDTH,
        height=CMP_TOP + CMP_ROW * len(rows) + 6,
        left=left,
        right=right,
        rows=rows,
        gridlines=grid,
    )
