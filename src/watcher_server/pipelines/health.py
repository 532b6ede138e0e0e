"""A pipeline's health: one status, derived from its data, that the console, the metrics and
the lineage explorer all show the same way. Pure definitions; the SQL is in health_repository.

A pipeline has the first status of this list that applies to it, except `inactive`, which wins
over all (a switched-off pipeline is not judged) and sorts last:

- failed: its last finished run failed;
- overdue: its latest run is past its timeliness deadline (still running, or it finished late);
- stale: no data loaded within its freshness threshold (counted from its last insert, update or
  soft delete, or from its creation when it never loaded);
- anomaly: its last finished run succeeded and an anomaly rule flagged it;
- running: a run is going and nothing above applies;
- healthy: it has run and nothing above applies;
- never run: it has no run yet.

Timeliness and freshness follow the checks' rules (monitoring.thresholds): the pipeline's own
threshold, else its type's; a check muted on the pipeline or its type never makes it overdue or
stale.
"""

import enum


class Health(enum.StrEnum):
    FAILED = "failed"
    OVERDUE = "overdue"
    STALE = "stale"
    ANOMALY = "anomaly"
    RUNNING = "running"
    HEALTHY = "healthy"
    NEVER_RUN = "never run"
    INACTIVE = "inactive"

    @property
    def rank(self) -> int:
        """Position when sorting worst first (0 is the worst)."""
        return WORST_FIRST.index(self)

    @property
    def slug(self) -> str:
        """The status as a query-string and CSS token: `never-run`."""
        return self.value.replace(" ", "-")

    @classmethod
    def from_slug(cls, slug: str) -> "Health | None":
        return _BY_SLUG.get(slug.strip().lower())


WORST_FIRST: tuple[Health, ...] = tuple(Health)
_BY_SLUG = {health.slug: health for health in Health}

# What each status means, for the console's legend and tooltips.
MEANING = {
    Health.FAILED: "its last finished run failed",
    Health.OVERDUE: "its latest run is past its timeliness deadline",
    Health.STALE: "no data loaded within its freshness threshold",
    Health.ANOMALY: "an anomaly rule flagged its last successful run",
    Health.RUNNING: "a run is going",
    Health.HEALTHY: "its last run succeeded, on time, with data fresh",
    Health.NEVER_RUN: "no run recorded yet",
    Health.INACTIVE: "switched off: not checked",
}


def status_of_rank(rank: int) -> Health:
    return WORST_FIRST[rank]
