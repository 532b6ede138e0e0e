"""How long each kind of data is kept: runs, and four kinds that may each have their own days.

A kind without days of its own is kept as long as runs. A kind's rows that belong to a run
(timeliness log, anomaly results) still go with their run: a retention longer than the runs'
cannot keep a row whose run is deleted, a shorter one deletes the row earlier.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Kind = Literal["runs", "timeliness_log", "freshness_log", "anomaly_result", "alert"]
# The kinds whose retention is optional, in the order answers list them.
OWN_RETENTION_KINDS: tuple[Kind, ...] = (
    "timeliness_log",
    "freshness_log",
    "anomaly_result",
    "alert",
)
KINDS: tuple[Kind, ...] = ("runs", *OWN_RETENTION_KINDS)

Cutoffs = dict[Kind, datetime]


def days_field(kind: Kind) -> str:
    """The name a kind's days go by in requests, answers, flags and settings."""
    return "retention_days" if kind == "runs" else f"{kind}_retention_days"


@dataclass(frozen=True)
class Retention:
    """Days to keep runs, and each other kind's own days (None: as long as runs)."""

    runs: int
    timeliness_log: int | None = None
    freshness_log: int | None = None
    anomaly_result: int | None = None
    alert: int | None = None

    @classmethod
    def named(cls, source: object, prefix: str = "") -> "Retention":
        """The days `source` holds as `<prefix>retention_days`, `<prefix><kind>_retention_days`
        (a request body; the settings, with prefix `watcher_log_cleanup_`)."""
        days = {kind: getattr(source, prefix + days_field(kind)) for kind in KINDS}
        return cls(**days)

    def days(self, kind: Kind) -> int:
        own: int | None = getattr(self, kind)
        return self.runs if own is None else own

    def cutoffs(self, now: datetime) -> Cutoffs:
        """Per kind, the time before which its rows expire."""
        return {kind: now - timedelta(days=self.days(kind)) for kind in KINDS}
