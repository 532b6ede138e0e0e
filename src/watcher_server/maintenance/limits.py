"""Bounds of a log cleanup, shared by the API, the command line and the settings."""

MIN_RETENTION_DAYS = 90
# A kind with a retention of its own (timeliness log, freshness log, anomaly results, alerts)
# may keep its rows as little as a day: none of them is the history pipelines are judged on.
MIN_KIND_RETENTION_DAYS = 1
# A hundred years: far enough to mean "keep everything", near enough to stay a valid date.
MAX_RETENTION_DAYS = 36_500
DEFAULT_BATCH_SIZE = 10_000
MAX_BATCH_SIZE = 100_000
