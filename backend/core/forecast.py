"""When a program should reach "ready for stage 2", from the pace of its recent snapshots.

A straight line is fitted to the last snapshots (least squares, score against time). The
likely date is where that line, started from the latest score, meets the stage 2 threshold;
the optimistic and pessimistic dates use the slope one standard error above and below. No
date is given when the points are too few, when progress is flat or going backwards, or when
the date lies beyond the horizon: then the reason says why. Pure: no I/O, no clock.
In core because the readiness score and the PDF reports both use it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

STAGE_2 = 85.0  # score from which the level is "ready for stage 2"
RECENT = 8  # snapshots the pace is measured on
MIN_POINTS = 3
FLAT = 0.01  # score points per day below which progress counts as flat
HORIZON = timedelta(days=3 * 365)


@dataclass(frozen=True)
class Point:
    at: datetime
    score: float


@dataclass(frozen=True)
class Forecast:
    optimistic: date | None
    likely: date | None
    pessimistic: date | None
    reason: str | None  # why a date is missing; None when all three are given


def _none(reason: str) -> Forecast:
    return Forecast(None, None, None, reason)


def forecast(points: Sequence[Point], target: float = STAGE_2) -> Forecast:
    """The three dates from the most recent points (any order), or none with the reason."""
    recent = sorted(points, key=lambda point: point.at)[-RECENT:]
    if recent and recent[-1].score >= target:
        return _none("The latest score already reaches the stage 2 threshold.")
    if len({point.at for point in recent}) < MIN_POINTS:
        return _none(f"Too few snapshots: a pace needs at least {MIN_POINTS} at different times.")
    slope, error = _slope(recent)
    if slope < -FLAT:
        return _none("Readiness is going backwards over the recent snapshots.")
    if slope <= FLAT:
        return _none("Readiness is flat over the recent snapshots.")
    latest = recent[-1]
    likely = _reach(latest, slope, target)
    if likely is None:
        return _none("At the recent pace the threshold lies beyond the three-year horizon.")
    pessimistic = _reach(latest, slope - error, target) if slope - error > FLAT else None
    reason = None if pessimistic else "At the slowest pace the snapshots allow, progress stalls."
    return Forecast(_reach(latest, slope + error, target), likely, pessimistic, reason)


def _slope(points: Sequence[Point]) -> tuple[float, float]:
    """Least-squares slope in points per day and its standard error (0 with two points)."""
    start = points[0].at
    xs = [(point.at - start).total_seconds() / 86400 for point in points]
    ys = [point.score for point in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    residuals = [y - (mean_y + slope * (x - mean_x)) for x, y in zip(xs, ys, strict=True)]
    freedom = len(points) - 2
    error = math.sqrt(sum(r * r for r in residuals) / freedom / sxx) if freedom > 0 else 0.0
    return slope, error


def _reach(latest: Point, slope: float, target: float) -> date | None:
    days = (target - latest.score) / slope
    if days > HORIZON.days:
        return None
    return (latest.at + timedelta(days=days)).date()
