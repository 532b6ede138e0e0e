"""Calendar arithmetic of thresholds, without a database."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watcher_server.models.base import DatePart
from watcher_server.monitoring.deadlines import (
    add_interval,
    add_months,
    describe_duration,
    describe_interval,
)

T = datetime(2026, 1, 31, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "datepart", "expected"),
    [
        (30, DatePart.MINUTE, datetime(2026, 1, 31, 11, 0, tzinfo=UTC)),
        (2, DatePart.HOUR, datetime(2026, 1, 31, 12, 30, tzinfo=UTC)),
        (1, DatePart.DAY, datetime(2026, 2, 1, 10, 30, tzinfo=UTC)),
        (1, DatePart.WEEK, datetime(2026, 2, 7, 10, 30, tzinfo=UTC)),
        # Calendar months: January 31 plus one month is the last day of February.
        (1, DatePart.MONTH, datetime(2026, 2, 28, 10, 30, tzinfo=UTC)),
        (2, DatePart.MONTH, datetime(2026, 3, 31, 10, 30, tzinfo=UTC)),
        (13, DatePart.MONTH, datetime(2027, 2, 28, 10, 30, tzinfo=UTC)),
        (1, DatePart.YEAR, datetime(2027, 1, 31, 10, 30, tzinfo=UTC)),
    ],
)
def test_add_interval(number: int, datepart: DatePart, expected: datetime) -> None:
    assert add_interval(T, number, datepart) == expected


def test_leap_days() -> None:
    leap = datetime(2024, 2, 29, tzinfo=UTC)
    assert add_interval(leap, 1, DatePart.YEAR) == datetime(2025, 2, 28, tzinfo=UTC)
    assert add_interval(leap, 4, DatePart.YEAR) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_interval(datetime(2024, 1, 30, tzinfo=UTC), 1, DatePart.MONTH) == leap


@pytest.mark.parametrize("datepart", list(DatePart))
def test_a_deadline_past_the_calendar_never_comes(datepart: DatePart) -> None:
    assert add_interval(T.replace(year=9000), 2**31 - 1, datepart) is None


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)
    ),
    months=st.integers(min_value=0, max_value=1200),
)
def test_month_arithmetic_is_calendar_exact(moment: datetime, months: int) -> None:
    later = add_months(moment, months)
    assert (later.year * 12 + later.month) - (moment.year * 12 + moment.month) == months
    assert later.day == moment.day or later.day < moment.day  # clipped to a shorter month
    assert later.time() == moment.time()
    assert later >= moment


@settings(max_examples=100, deadline=None)
@given(number=st.integers(min_value=1, max_value=5000), datepart=st.sampled_from(list(DatePart)))
def test_more_units_never_come_sooner(number: int, datepart: DatePart) -> None:
    shorter, longer = add_interval(T, number, datepart), add_interval(T, number + 1, datepart)
    assert shorter is not None
    assert longer is not None
    assert T < shorter < longer


def test_descriptions() -> None:
    assert describe_interval(1, DatePart.HOUR) == "1 hour"
    assert describe_interval(30, DatePart.MINUTE) == "30 minutes"
    assert describe_duration(5400, DatePart.HOUR) == "1.50 hours"
    assert describe_duration(3600, DatePart.HOUR) == "1 hour"
    assert describe_duration(timedelta(days=3).total_seconds(), DatePart.DAY) == "3 days"
    assert describe_duration(2_592_000, DatePart.MONTH) == "1 month"
