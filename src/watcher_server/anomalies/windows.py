"""Which past executions form a run's baseline: the lookback window and the seasonal bucket.

Pure, no database. Times are UTC, like `hour_recorded` and `date_recorded`.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from watcher_server.models.anomalies import Seasonality

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class BaselineWindow:
    """Successful runs that started in [since, until], in the bucket, except the tested one."""

    since: datetime
    until: datetime
    seasonality: Seasonality
    # hour_of_day: the UTC hour runs must have started in.
    hour: int | None = None
    # day_of_week: the UTC dates (same weekday) runs must have started on, newest first.
    dates: tuple[date, ...] = ()

    @property
    def bucket(self) -> str:
        """The bucket in words, stored with each finding."""
        if self.seasonality is Seasonality.HOUR_OF_DAY:
            return f"{self.hour:02d}:00-{self.hour:02d}:59 UTC"
        if self.seasonality is Seasonality.DAY_OF_WEEK:
            return f"{WEEKDAYS[self.until.weekday()]} (UTC)"
        return "all"


def bucket_of(seasonality: Seasonality | str, start: datetime) -> int | None:
    """The seasonal bucket of a run that started at `start` (UTC): its hour for hour_of_day,
    its weekday for day_of_week, None when every run shares one bucket."""
    seasonality = Seasonality(seasonality)
    if seasonality is Seasonality.HOUR_OF_DAY:
        return start.hour
    if seasonality is Seasonality.DAY_OF_WEEK:
        return start.weekday()
    return None


def baseline_window(
    seasonality: Seasonality | str, tested_start: datetime, lookback_days: int
) -> BaselineWindow:
    """The window of the run that started at `tested_start` (UTC): the `lookback_days` before
    its start, so that the baseline never depends on when detection happens to run."""
    seasonality = Seasonality(seasonality)
    since = tested_start - timedelta(days=lookback_days)
    if seasonality is Seasonality.HOUR_OF_DAY:
        return BaselineWindow(since, tested_start, seasonality, hour=tested_start.hour)
    if seasonality is Seasonality.DAY_OF_WEEK:
        day = tested_start.date()
        dates = tuple(
            day - timedelta(weeks=weeks)
            for weeks in range(lookback_days // 7 + 1)
            if day - timedelta(weeks=weeks) >= since.date()
        )
        return BaselineWindow(since, tested_start, seasonality, dates=dates)
    return BaselineWindow(since, tested_start, seasonality)
