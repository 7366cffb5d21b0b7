"""The forecast: three dates from the recent pace, or none with the reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from backend.core.forecast import Forecast, Point, forecast

START = datetime(2026, 11, 1, 9, tzinfo=UTC)


def _weekly(*scores: float) -> list[Point]:
    return [Point(START + timedelta(weeks=i), value) for i, value in enumerate(scores)]


def _no_date(found: Forecast) -> str:
    assert (found.optimistic, found.likely, found.pessimistic) == (None, None, None)
    assert found.reason is not None
    return found.reason


def test_a_steady_pace_gives_one_date_for_all_three() -> None:
    found = forecast(_weekly(40, 47, 54, 61))  # 1 point a day
    expected = (START + timedelta(weeks=3, days=24)).date()
    assert found.likely == found.optimistic == found.pessimistic == expected
    assert found.reason is None


def test_an_uneven_pace_spreads_the_dates_around_the_likely_one() -> None:
    found = forecast(_weekly(40, 50, 52, 63, 66))
    assert found.optimistic is not None
    assert found.likely is not None
    assert found.pessimistic is not None
    assert found.optimistic < found.likely < found.pessimistic


def test_too_few_points_give_no_date() -> None:
    assert "Too few" in _no_date(forecast(_weekly(40, 60)))


def test_flat_or_falling_progress_gives_no_date() -> None:
    assert "flat" in _no_date(forecast(_weekly(50, 50, 50)))
    assert "backwards" in _no_date(forecast(_weekly(60, 55, 50)))


def test_a_pace_too_slow_for_the_horizon_gives_no_date() -> None:
    assert "horizon" in _no_date(forecast(_weekly(10.0, 10.2, 10.4)))


def test_a_program_already_there_needs_no_forecast() -> None:
    assert "already" in _no_date(forecast(_weekly(70, 80, 90)))


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=0, max_size=12))
def test_a_date_is_never_before_the_latest_snapshot(scores: list[float]) -> None:
    found = forecast(_weekly(*scores))
    latest: date = (START + timedelta(weeks=max(len(scores) - 1, 0))).date()
    dates = [d for d in (found.optimistic, found.likely, found.pessimistic) if d is not None]
    assert all(d >= latest for d in dates)
    assert found.likely is not None or found.reason
