"""Plan regression on PostgreSQL: the late-finish query reads only the long runs of its window.

A busy server ends thousands of runs an hour, nearly all far shorter than any threshold. The
duration is in the end_date index, so those are passed over inside the index instead of being
read from the table one by one. Sequential scans are priced out, as in the anomaly plan tests.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.plans import plan, rolled_back_connection
from watcher_server.monitoring import repository as repo
from watcher_server.settings import Settings

# An hour of short runs over 20 pipelines with a one-hour threshold, written and analysed in
# a transaction rolled back at the end.
WINDOW = """
WITH new_type AS (
    INSERT INTO pipeline_type (name, created_at) VALUES (:prefix, now()) RETURNING id
), new_pipelines AS (
    INSERT INTO pipeline (name, pipeline_type_id, timeliness_number, timeliness_datepart,
        created_at)
    SELECT :prefix || g, new_type.id, 1, 'HOUR', now()
    FROM new_type, generate_series(1, 20) AS g
    RETURNING id
)
INSERT INTO pipeline_execution (pipeline_id, start_date, end_date, date_recorded,
    hour_recorded, duration_seconds, completed_successfully)
SELECT p.id, now() - make_interval(secs => g * 6 + 5), now() - make_interval(secs => g * 6),
    current_date, 0, 5, true
FROM new_pipelines AS p, generate_series(1, 500) AS g
"""


async def test_the_late_finish_query_filters_on_the_duration_inside_the_index(
    settings: Settings, unique: str
) -> None:
    async with rolled_back_connection(settings.database_url) as conn:
        await conn.execute(text(WINDOW), {"prefix": f"late plans {unique} "})
        await conn.execute(text("ANALYZE pipeline_execution"))
        # Only the way the runs are read is under test, not the join order.
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        await conn.execute(text("SET LOCAL enable_nestloop = off"))
        since = datetime.now(UTC) - timedelta(hours=1)
        found = await plan(conn, repo._late_finish_candidates(), {"since": since})
    assert "ix_pipeline_execution_end_date_duration_seconds" in found, found
    index_condition = next(line for line in found.splitlines() if "Index Cond" in line)
    assert "duration_seconds >=" in index_condition, found
