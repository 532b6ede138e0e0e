"""Cron arithmetic in UTC. Pure functions, no database."""

from datetime import datetime, timedelta

from croniter import croniter

_JUST_AFTER = timedelta(microseconds=1)


def latest_fire(schedule: str, now: datetime) -> datetime:
    """The most recent time at or before `now` that `schedule` names."""
    # croniter's get_prev is strictly before its start; start just after now to include now.
    return croniter(schedule, now + _JUST_AFTER).get_prev(datetime)


def next_fire(schedule: str, after: datetime) -> datetime:
    """The first time strictly after `after` that `schedule` names."""
    return croniter(schedule, after).get_next(datetime)
