"""Bounds of a log cleanup, shared by the API, the command line and the settings."""

MIN_RETENTION_DAYS = 90
# A hundred years: far enough to mean "keep everything", near enough to stay a valid date.
MAX_RETENTION_DAYS = 36_500
DEFAULT_BATCH_SIZE = 10_000
MAX_BATCH_SIZE = 100_000
