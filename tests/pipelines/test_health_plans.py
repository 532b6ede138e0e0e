"""Plan regression on PostgreSQL: the overview reads each pipeline's latest runs by probing
the (pipeline_id, start_date) index, never by scanning or hashing the run table (which took
2.8 s at 1,000,000 runs), and computes the statuses once for the counts and the page."""

from datetime import UTC, datetime

from sqlalchemy import text

from tests.plans import plan, rolled_back_connection
from watcher_server.pipelines import health_repository as repo
from watcher_server.settings import Settings

# 200 pipelines with 50 finished runs each, one in ten with a run going; written and analysed
# in a transaction rolled back at the end.
HISTORY = """
WITH new_type AS (
    INSERT INTO pipeline_type (name, created_at) VALUES (:prefix, now()) RETURNING id
), new_pipelines AS (
    INSERT INTO pipeline (name, pipeline_type_id, freshness_number, freshness_datepart,
        created_at)
    SELECT :prefix || g, new_type.id, 1, 'DAY', now()
    FROM new_type, generate_series(1, 200) AS g
    RETURNING id
)
INSERT INTO pipeline_execution (pipeline_id, start_date, end_date, date_recorded,
    hour_recorded, duration_seconds, completed_successfully)
SELECT p.id, now() - make_interval(hours => g), CASE WHEN g > 1 OR p.id % 10 <> 0
    THEN now() - make_interval(hours => g) + interval '1 minute' END, current_date, 0, 60,
    CASE WHEN g > 1 OR p.id % 10 <> 0 THEN true END
FROM new_pipelines AS p, generate_series(1, 50) AS g
"""


async def test_the_overview_probes_the_latest_runs_per_pipeline(
    settings: Settings, unique: str
) -> None:
    async with rolled_back_connection(settings.database_url) as conn:
        await conn.execute(text(HISTORY), {"prefix": f"health plans {unique} "})
        await conn.execute(text("ANALYZE pipeline_execution"))
        await conn.execute(text("ANALYZE pipeline"))
        statement = repo.overview_statement(conn, (), None, None, 50, 0)
        found = await plan(conn, statement, {"now": datetime.now(UTC)})
    assert "Seq Scan on pipeline_execution" not in found, found
    assert "Hash Join" not in found or "pipeline_execution" not in _hashed(found), found
    assert "Index Scan Backward using ix_pipeline_execution_pipeline_id_start_date" in found
    assert "One-Time Filter" in found, found  # the latest finished run: only while running
    assert found.count("CTE Scan on health") == 2, found  # computed once, read twice


def _hashed(found: str) -> str:
    """The lines under each Hash node (what a hash join builds its table from)."""
    lines = found.splitlines()
    return "\n".join(lines[i + 1] for i, line in enumerate(lines) if "->  Hash  " in line)
