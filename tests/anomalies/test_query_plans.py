"""Plan regressions on PostgreSQL: detection stays a few index lookups, whatever the history.

A missing index turns the baseline query into a scan of every execution (hundreds of times
slower at a million rows). With sequential scans priced out (`enable_seqscan = off`), the
planner still picks one only when no index can answer, so these tests do not need big tables.
The last test checks that the job's one-pass baseline statement reads what the others do.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.plans import plan, rolled_back_connection
from watcher_server.anomalies import repository as repo
from watcher_server.anomalies.windows import baseline_window
from watcher_server.models import AnomalyMetric, Seasonality
from watcher_server.settings import Settings

# A month of history over 50 pipelines, as a production table holds: the pipeline, not the
# time range, is what narrows the scan. Written and analysed in a transaction rolled back at
# the end, so no other test sees it.
HISTORY = """
WITH new_type AS (
    INSERT INTO pipeline_type (name, created_at) VALUES (:prefix, now()) RETURNING id
), new_pipelines AS (
    INSERT INTO pipeline (name, pipeline_type_id, created_at)
    SELECT :prefix || g, new_type.id, now() FROM new_type, generate_series(1, 50) AS g
    RETURNING id
)
INSERT INTO pipeline_execution (pipeline_id, start_date, end_date, date_recorded,
    hour_recorded, completed_successfully, inserts)
SELECT p.id, now() - make_interval(hours => g * 3), now() - make_interval(hours => g * 3),
    current_date, extract(hour FROM now() - make_interval(hours => g * 3))::int, true, g
FROM new_pipelines AS p, generate_series(1, 200) AS g
RETURNING pipeline_id
"""


@pytest.fixture
async def postgres(settings: Settings, unique: str) -> AsyncIterator[tuple[AsyncConnection, int]]:
    """A connection on PostgreSQL with a history, sequential scans priced out, and the id of
    one of the history's pipelines."""
    async with rolled_back_connection(settings.database_url) as conn:
        inserted = await conn.execute(text(HISTORY), {"prefix": f"plans {unique} "})
        pipeline_id = inserted.scalars().first()
        await conn.execute(text("ANALYZE pipeline_execution"))
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        yield conn, pipeline_id


@pytest.mark.parametrize("seasonality", list(Seasonality))
async def test_the_baseline_walks_the_pipeline_start_date_index(
    postgres: tuple[AsyncConnection, int], seasonality: Seasonality
) -> None:
    conn, pipeline_id = postgres
    window = baseline_window(seasonality, datetime.now(UTC), 30)
    statement = repo._baselines_statement(1, seasonality)
    parameters: dict[str, Any] = {
        "pipeline_id_0": pipeline_id,
        "tested_id_0": 1,
        "since_0": window.since,
        "until_0": window.until,
        "cap_0": 50,  # fewer than the pipeline's runs in the window, as in production
        "hour_0": 14,
        "dates_0": list(window.dates),
    }
    if seasonality is not Seasonality.DAY_OF_WEEK:
        del parameters["dates_0"]
    if seasonality is not Seasonality.HOUR_OF_DAY:
        del parameters["hour_0"]
    found = await plan(conn, statement, parameters)
    assert "Seq Scan" not in found, found
    assert "Index Cond: (pipeline_id = " in found or "Index Cond: ((pipeline_id = " in found, found
    if seasonality is Seasonality.NONE:
        # Rows come in index order, so the cap stops the walk: the cost is flat in history.
        assert "Index Scan Backward using ix_pipeline_execution_pipeline_id_start_date" in found
        assert "Sort" not in found, found


async def test_queueing_detection_probes_the_rule_index(
    postgres: tuple[AsyncConnection, int],
) -> None:
    conn, pipeline_id = postgres
    # The WHERE EXISTS of the end call's INSERT … SELECT.
    [condition] = repo._QUEUE_DETECTION.select._where_criteria
    found = await plan(conn, select(condition), {"queued_pipeline_id": pipeline_id})
    assert "ux_anomaly_detection_rule_pipeline_id_metric_field" in found, found
    assert "Seq Scan" not in found, found


async def test_claiming_and_finding_the_latest_run_use_indexes(
    postgres: tuple[AsyncConnection, int],
) -> None:
    conn, pipeline_id = postgres
    claim = (
        select(repo.pending.c.pipeline_execution_id)
        .where(repo.pending.c.next_attempt_at <= datetime.now(UTC))
        .order_by(repo.pending.c.next_attempt_at)
        .limit(50)
    )
    assert "Seq Scan" not in await plan(conn, claim, {})
    latest = (
        select(repo.executions.c.id)
        .where(
            repo.executions.c.pipeline_id == pipeline_id,
            repo.executions.c.completed_successfully,
        )
        .order_by(repo.executions.c.start_date.desc(), repo.executions.c.id.desc())
        .limit(1)
    )
    found = await plan(conn, latest, {})
    assert "ix_pipeline_execution_pipeline_id_start_date" in found, found


async def test_a_batch_reads_every_baseline_through_the_index(
    postgres: tuple[AsyncConnection, int],
) -> None:
    conn, pipeline_id = postgres
    window = baseline_window(Seasonality.NONE, datetime.now(UTC), 30)
    statement = repo._baselines_statement(4, Seasonality.NONE)
    parameters: dict[str, Any] = {}
    for slot in range(4):
        parameters.update(
            {
                f"pipeline_id_{slot}": pipeline_id + slot,
                f"tested_id_{slot}": 1,
                f"since_{slot}": window.since,
                f"until_{slot}": window.until,
                f"cap_{slot}": 50,
            }
        )
    found = await plan(conn, statement, parameters)
    assert (
        found.count("Index Scan Backward using ix_pipeline_execution_pipeline_id_start_date") == 4
    )
    assert "Seq Scan" not in found, found


@pytest.mark.parametrize("seasonality", [Seasonality.NONE, Seasonality.HOUR_OF_DAY])
async def test_one_statement_reads_the_baselines_of_any_number_of_runs_through_the_index(
    postgres: tuple[AsyncConnection, int], seasonality: Seasonality
) -> None:
    conn, pipeline_id = postgres
    window = baseline_window(seasonality, datetime.now(UTC), 30)
    requests = [repo.BaselineRequest(pipeline_id + slot, 1, window) for slot in range(40)]
    statement = repo._lateral_baselines_statement(seasonality)
    found = await plan(conn, statement, repo._request_arrays(requests, 50))
    # One index walk, repeated for each run's row of parameters, stopped by the cap.
    assert "Nested Loop" in found, found
    assert "Function Scan on request" in found, found
    assert "Index Scan Backward using ix_pipeline_execution_pipeline_id_start_date" in found
    assert "Seq Scan" not in found, found
    assert "Sort" not in found, found


@pytest.mark.parametrize("seasonality", [Seasonality.NONE, Seasonality.HOUR_OF_DAY])
async def test_the_one_pass_baselines_equal_the_two_pass_ones(
    postgres: tuple[AsyncConnection, int], seasonality: Seasonality
) -> None:
    """The job's statement (var_samp, one pass) and the chunks' (window mean, then squared
    deviations) read the same baselines."""
    conn, pipeline_id = postgres
    window = baseline_window(seasonality, datetime.now(UTC), 30)
    requests = [repo.BaselineRequest(pipeline_id + slot, 1, window) for slot in range(4)]
    one_pass = await conn.execute(
        repo._lateral_baselines_statement(seasonality), repo._request_arrays(requests, 50)
    )
    two_pass = await conn.execute(
        repo._baselines_statement(4, seasonality), repo._chunk_parameters(requests, 50)
    )
    found = [{row[0]: repo._baselines_of_row(row) for row in rows} for rows in (one_pass, two_pass)]
    assert found[0].keys() == found[1].keys() == set(range(4))
    for slot, baselines in found[0].items():
        assert baselines[AnomalyMetric.INSERTS].size > 1, "the history has values to compare"
        for metric, one in baselines.items():
            two = found[1][slot][metric]
            assert (one.size, one.minimum, one.maximum) == (two.size, two.minimum, two.maximum)
            assert one.mean == pytest.approx(two.mean, rel=1e-12)
            assert one.squared_deviations == pytest.approx(two.squared_deviations, rel=1e-9)
