"""The readiness report's charts, drawn off-screen with matplotlib's Agg backend into PNG
bytes. Only the object API is used (a Figure per chart, never pyplot's global state), so
charts can be drawn in a worker thread while the event loop goes on."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from backend.core.forecast import STAGE_2, Forecast

WIDTH, HEIGHT, DPI = 7.0, 3.0, 150
LINE, BAND, TARGET = "#1f5f99", "#9cc3e6", "#b23b3b"


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def burn_up(history: Sequence[tuple[datetime, float]], outlook: Forecast) -> bytes:
    """The stored scores over time, the stage 2 threshold, and, when the forecast gives
    dates, the band from the latest score to the threshold between its optimistic and
    pessimistic dates (the likely date drawn as a dashed line)."""
    figure = Figure(figsize=(WIDTH, HEIGHT))
    axes = figure.add_subplot()
    times = [float(date2num(at)) for at, _ in history]  # type: ignore[no-untyped-call]
    axes.plot(times, [score for _, score in history], color=LINE, marker="o", markersize=3)
    axes.axhline(STAGE_2, color=TARGET, linestyle=":", linewidth=1)
    axes.annotate("stage 2", (0.0, STAGE_2), xycoords=("axes fraction", "data"), color=TARGET)
    if history and outlook.optimistic and outlook.likely:
        start, score = times[-1], history[-1][1]
        slow = outlook.pessimistic or outlook.likely
        corners = [start, _instant(outlook.optimistic), _instant(slow)]
        axes.fill(corners, [score, STAGE_2, STAGE_2], color=BAND, alpha=0.5, label="forecast")
        axes.plot([start, _instant(outlook.likely)], [score, STAGE_2], color=LINE, linestyle="--")
        axes.legend(loc="lower right")
    axes.set_ylim(0, 100)
    axes.set_ylabel("readiness")
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.grid(alpha=0.3)
    return _png(figure)


def _instant(day: date) -> float:
    """Noon of a forecast day, on matplotlib's date axis."""
    return float(date2num(datetime.combine(day, time(12), tzinfo=UTC)))  # type: ignore[no-untyped-call]


def groups(scores: Sequence[tuple[str, float]]) -> bytes:
    """Conformity per top-level clause, one bar each, in clause order from the top."""
    figure = Figure(figsize=(WIDTH, max(1.5, 0.3 * len(scores) + 0.8)))
    axes = figure.add_subplot()
    labels = [label for label, _ in scores]
    axes.barh(labels, [score for _, score in scores], color=LINE)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("conformity of the clause's requirements")
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)
