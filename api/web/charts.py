"""Bar charts as inline SVG, laid out here and drawn by ``templates/carbon/_chart.html`` (no script, no CDN).

A chart is stacked bars, one per category, one segment per series, on a y axis of round ticks. The SVG
scales with its box (``viewBox``, ``width="100%"``) and is named by its ``<title>``; the data table
that each page shows beside it is the exact, accessible version of the same figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 36  # margins around the plot, in viewBox units
TICKS = 4


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    css: str  # the class that colours its segments and legend swatch


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # "<category>: <series> <value>", the segment's tooltip


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Category:
    x: float  # the centre of its bar
    label: str


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    summary: str
    series: Sequence[Series]
    segments: Sequence[Segment]
    ticks: Sequence[Tick]
    categories: Sequence[Category]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def nice_step(top: int, ticks: int = TICKS) -> int:
    """The smallest 1, 2 or 5 x 10^n step with which ``ticks`` steps reach ``top`` (at least 1)."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude * ticks >= top:
                return factor * magnitude
        magnitude *= 10


def stacked_bars(
    chart_id: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[int], str],
) -> BarChart:
    """Stacked bars of ``series`` over ``categories``; ``fmt`` writes a value for ticks and tooltips."""
    totals = [sum(max(0, s.values[i]) for s in series) for i in range(len(categories))]
    step = nice_step(max(totals, default=0))
    top = step * TICKS
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - RIGHT - LEFT) / max(1, len(categories))
    bar = min(slot * 0.6, 80.0)

    def y_of(value: int) -> float:
        return HEIGHT - BOTTOM - plot_height * value / top

    segments = []
    for i, category in enumerate(categories):
        x, below = LEFT + slot * i + (slot - bar) / 2, 0
        for s in series:
            value = max(0, s.values[i])
            if value:
                y = y_of(below + value)
                label = f"{category}: {s.name} {fmt(value)}"
                segments.append(
                    Segment(round(x, 2), round(y, 2), round(bar, 2), round(y_of(below) - y, 2), s.css, label)
                )
            below += value
    return BarChart(
        id=chart_id,
        title=title,
        summary=summary,
        series=series,
        segments=segments,
        ticks=[Tick(round(y_of(step * n), 2), fmt(step * n)) for n in range(TICKS + 1)],
        categories=[Category(round(LEFT + slot * (i + 0.5), 2), c) for i, c in enumerate(categories)],
    )
