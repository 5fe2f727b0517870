"""Charts drawn on the server as SVG: nothing to download, nothing from a CDN, and they print.

Geometry only; the templates add the words. Widths and heights are presentation attributes, so
the strict Content-Security-Policy (no inline styles) holds."""

from __future__ import annotations

from dataclasses import dataclass

from app.dashboards.service import Point
from app.stats.maths import CATEGORIES

WIDTH, HEIGHT, PAD = 640, 200, 28


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


@dataclass
class TrendChart:
    width: int
    height: int
    line: str  # SVG path "M x y L x y …" through the days that have answers
    dots: list[tuple[float, float, Point]]
    bars: list[tuple[float, float, float, Point]]  # x, y, height, point
    bar_width: float
    gridlines: list[tuple[float, int]]  # y, percent
    max_ballots: int


def trend_chart(points: list[Point]) -> TrendChart:
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(1, len(points))
    most = max((p.ballots for p in points), default=0)
    dots: list[tuple[float, float, Point]] = []
    bars: list[tuple[float, float, float, Point]] = []
    path: list[str] = []
    for i, point in enumerate(points):
        x = PAD + step * (i + 0.5)
        if point.ballots:
            h = inner_h * 0.35 * point.ballots / most
            bars.append(
                (round(x - step * 0.35, 2), round(PAD + inner_h - h, 2), round(h, 2), point)
            )
        if point.headline is not None:
            y = PAD + inner_h * (1 - point.headline)
            dots.append((round(x, 2), round(y, 2), point))
            path.append(f"{'L' if path else 'M'}{x:.1f} {y:.1f}")
    grid = [(round(PAD + inner_h * (1 - pct / 100), 2), pct) for pct in (0, 50, 100)]
    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        line=" ".join(path),
        dots=dots,
        bars=bars,
        bar_width=round(step * 0.7, 2),
        gridlines=grid,
        max_ballots=most,
    )
