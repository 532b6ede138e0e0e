"""Which past runs a run is compared with, without a database."""

from datetime import UTC, date, datetime, timedelta

from watcher_server.anomalies.windows import baseline_window
from watcher_server.models import Seasonality

START = datetime(2026, 3, 18, 14, 30, tzinfo=UTC)  # a Wednesday


def test_the_window_ends_at_the_tested_run_and_reaches_back_lookback_days() -> None:
    window = baseline_window("none", START, 30)
    assert (window.since, window.until) == (START - timedelta(days=30), START)
    assert window.bucket == "all"


def test_hour_of_day_keeps_the_utc_hour() -> None:
    window = baseline_window(Seasonality.HOUR_OF_DAY, START, 30)
    assert window.hour == 14
    assert window.bucket == "14:00-14:59 UTC"


def test_day_of_week_lists_the_same_weekday_back_to_the_window_start() -> None:
    window = baseline_window(Seasonality.DAY_OF_WEEK, START, 21)
    assert window.dates == (
        date(2026, 3, 18),
        date(2026, 3, 11),
        date(2026, 3, 4),
        date(2026, 2, 25),
    )
    assert window.bucket == "wednesday (UTC)"
    assert all(day.weekday() == START.weekday() for day in window.dates)


def test_day_of_week_with_a_short_lookback_keeps_the_same_day() -> None:
    assert baseline_window("day_of_week", START, 3).dates == (date(2026, 3, 18),)
