"""Calendar arithmetic for thresholds: "N minutes, hours, days, weeks, months or years after".

Pure functions, no database. Times are UTC, so a day is always 24 hours; a month is a calendar
month (January 31 plus one month is the last day of February) and a year a calendar year.
"""

import calendar
from datetime import MAXYEAR, MINYEAR, datetime, timedelta

from watcher_server.models.base import DatePart

_FIXED_UNITS = {
    DatePart.MINUTE: timedelta(minutes=1),
    DatePart.HOUR: timedelta(hours=1),
    DatePart.DAY: timedelta(days=1),
    DatePart.WEEK: timedelta(weeks=1),
}
_MONTHS_PER_UNIT = {DatePart.MONTH: 1, DatePart.YEAR: 12}

# Seconds per unit when a duration is shown in its threshold's unit (the original's convention:
# a month shows as 30 days, a year as 365).
DISPLAY_SECONDS = {
    DatePart.MINUTE: 60,
    DatePart.HOUR: 3_600,
    DatePart.DAY: 86_400,
    DatePart.WEEK: 604_800,
    DatePart.MONTH: 2_592_000,
    DatePart.YEAR: 31_536_000,
}

# The fewest seconds a unit can last: a safe lower bound for filtering in SQL before the exact
# calendar check in Python.
SHORTEST_SECONDS = {**DISPLAY_SECONDS, DatePart.MONTH: 28 * 86_400, DatePart.YEAR: 365 * 86_400}


def add_interval(moment: datetime, number: int, datepart: DatePart) -> datetime | None:
    """`moment` plus `number` units of `datepart`; None when that is past the year 9999.

    A deadline beyond the calendar never passes, so None means "never overdue".
    """
    try:
        if datepart in _FIXED_UNITS:
            return moment + _FIXED_UNITS[datepart] * number
        return add_months(moment, number * _MONTHS_PER_UNIT[datepart])
    except OverflowError:
        return None


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by whole calendar months, its day clipped to the target month's length."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month_index = divmod(index, 12)
    if not MINYEAR <= year <= MAXYEAR:
        raise OverflowError(f"year {year} is out of range")
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def describe_interval(number: int, datepart: DatePart) -> str:
    """`1 hour`, `30 minutes`: the unit in lower case, plural unless the number is 1."""
    return f"{number} {_unit(datepart, number)}"


def describe_duration(seconds: float, datepart: DatePart) -> str:
    """A duration in the unit of its threshold: `90 minutes`, `1.5 hours`, `2 days`."""
    value = seconds / DISPLAY_SECONDS[datepart]
    text = str(int(value)) if value == int(value) else f"{value:.2f}"
    return f"{text} {_unit(datepart, value)}"


def _unit(datepart: DatePart, amount: float) -> str:
    return datepart.value if amount == 1 else f"{datepart.value}s"
