"""Every execution-related call of etl-watcher-sdk 0.1.43, against a real Watcher process.

Each test runs the SDK as its users do, then reads back through the API what Watcher stored.
"""

from pathlib import Path

import httpx
import pytest

from tests.sdk.conftest import SDKFailed, run_sdk

SYNC = """
config = PipelineConfig(
    pipeline=Pipeline(name=name, pipeline_type_name="sdk", freshness_number=2,
                      freshness_datepart="hour"),
    default_watermark="0",
    next_watermark=next_watermark,
)
synced = client.sync_pipeline_config(config)
"""


def api(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=10)


def test_sync_without_lineage_needs_load_lineage_default_false(
    sdk_python: Path, watcher_url: str, watcher_url_without_lineage_default: str, unique: str
) -> None:
    """The client crashes when Watcher asks a lineage-less pipeline for lineage: a client defect,
    which WATCHER_DEFAULT_LOAD_LINEAGE=false avoids (at the cost of asking no pipeline)."""
    with pytest.raises(SDKFailed, match="AttributeError"):
        run_sdk(
            sdk_python, watcher_url, SYNC + "result = 0", name=f"crash {unique}", next_watermark="5"
        )

    result = run_sdk(
        sdk_python,
        watcher_url_without_lineage_default,
        SYNC + "result = {'id': synced.pipeline.id, 'watermark': synced.watermark}",
        name=f"calm {unique}",
        next_watermark="5",
    )

    assert result["watermark"] == "0"  # the SDK's default_watermark: nothing stored yet
    with api(watcher_url) as http:
        stored = http.get(f"/pipeline/{result['id']}").json()
    assert (stored["name"], stored["next_watermark"], stored["load_lineage"]) == (
        f"calm {unique}",
        "5",
        False,
    )
    assert (stored["freshness_number"], stored["freshness_datepart"]) == (2, "hour")


def test_tracked_success_advances_the_watermark(
    sdk_python: Path, watcher_url_without_lineage_default: str, unique: str
) -> None:
    base = watcher_url_without_lineage_default
    result = run_sdk(
        sdk_python,
        base,
        SYNC
        + """
@client.track_pipeline_execution(pipeline_id=synced.pipeline.id, active=True,
                                 watermark=synced.watermark, next_watermark="100")
def load(watcher_context):
    seen["context"] = watcher_context.model_dump()
    return ETLResult(completed_successfully=True, inserts=5, updates=1, total_rows=6,
                     execution_metadata={"rows_source": "orders"})
seen = {}
outcome = load()
result = {"execution_id": outcome.execution_id, "pipeline_id": synced.pipeline.id, **seen}
""",
        name=f"tracked {unique}",
        next_watermark="100",
    )

    assert result["context"]["execution_id"] == result["execution_id"]
    assert (result["context"]["watermark"], result["context"]["next_watermark"]) == ("0", "100")
    with api(base) as http:
        run = http.get(f"/pipeline_execution/{result['execution_id']}").json()
        pipeline = http.get(f"/pipeline/{result['pipeline_id']}").json()
    assert run["status"] == "succeeded"
    assert (run["inserts"], run["updates"], run["total_rows"]) == (5, 1, 6)
    assert run["execution_metadata"] == {"rows_source": "orders"}
    assert (run["watermark"], run["next_watermark"]) == ("0", "100")
    assert pipeline["watermark"] == "100"
    assert pipeline["last_target_insert"] == run["end_date"]


def test_tracked_exception_records_a_failure_and_keeps_the_watermark(
    sdk_python: Path, watcher_url_without_lineage_default: str, unique: str
) -> None:
    base = watcher_url_without_lineage_default
    result = run_sdk(
        sdk_python,
        base,
        SYNC
        + """
@client.track_pipeline_execution(pipeline_id=synced.pipeline.id, active=True,
                                 next_watermark="200")
def load():
    raise RuntimeError("source unreachable")
try:
    load()
    raised = False
except RuntimeError:
    raised = True
history = client.client.request_with_retry(
    "GET", f"/pipeline_execution?pipeline_id={synced.pipeline.id}").json()
result = {"raised": raised, "pipeline_id": synced.pipeline.id, "runs": history}
""",
        name=f"boom {unique}",
        next_watermark="200",
    )

    assert result["raised"] is True
    [run] = result["runs"]
    assert run["status"] == "failed"
    with api(base) as http:
        assert http.get(f"/pipeline/{result['pipeline_id']}").json()["watermark"] is None


def test_child_execution_is_visible_under_its_parent(
    sdk_python: Path, watcher_url_without_lineage_default: str, unique: str
) -> None:
    base = watcher_url_without_lineage_default
    result = run_sdk(
        sdk_python,
        base,
        SYNC
        + """
parent = client.start_pipeline_execution(pipeline_id=synced.pipeline.id)
child = client.track_child_pipeline_execution(
    pipeline_id=synced.pipeline.id, active=True, parent_execution_id=parent,
    func=lambda: ETLResult(completed_successfully=True, total_rows=3))
direct = client.start_pipeline_execution(
    pipeline_id=synced.pipeline.id, parent_execution_id=parent, next_watermark="7")
client.end_pipeline_execution(direct, completed_successfully=True,
                              end_date=__import__("pendulum").now("UTC"), inserts=2)
result = {"parent": parent, "child": child.execution_id, "direct": direct}
""",
        name=f"family {unique}",
        next_watermark="1",
    )

    with api(base) as http:
        tree = http.get(f"/pipeline_execution/{result['parent']}").json()
        direct = http.get(f"/pipeline_execution/{result['direct']}").json()
    children = {child["id"]: child for child in tree["child_executions"]}
    assert set(children) == {result["child"], result["direct"]}
    assert children[result["child"]]["total_rows"] == 3
    assert (direct["parent_id"], direct["inserts"], direct["next_watermark"]) == (
        result["parent"],
        2,
        "7",
    )


def test_update_next_watermark_uses_the_sdk_spelling(
    sdk_python: Path, watcher_url_without_lineage_default: str, unique: str
) -> None:
    base = watcher_url_without_lineage_default
    result = run_sdk(
        sdk_python,
        base,
        SYNC
        + """
client.update_pipeline_next_watermark(pipeline_id=synced.pipeline.id, next_watermark="2026-12")
result = synced.pipeline.id
""",
        name=f"bump {unique}",
        next_watermark="2026-11",
    )
    with api(base) as http:
        assert http.get(f"/pipeline/{result}").json()["next_watermark"] == "2026-12"


def test_orchestrated_etl_stores_airflow_context(
    sdk_python: Path, watcher_url_without_lineage_default: str, unique: str
) -> None:
    base = watcher_url_without_lineage_default
    result = run_sdk(
        sdk_python,
        base,
        """
config = PipelineConfig(pipeline=Pipeline(name=name, pipeline_type_name="airflow"),
                        next_watermark="42")
etl = OrchestratedETL(URL, config)
def task(watcher_context, **kwargs):
    return ETLResult(completed_successfully=True, inserts=1)
context = {"dag_id": "orders_dag", "task_id": "load", "run_id": "manual__1",
           "execution_date": "2026-11-27T00:00:00+00:00"}
outcome = etl.execute_etl(task, orchestration_context=context)
result = outcome.execution_id
""",
        name=f"orchestrated {unique}",
    )

    with api(base) as http:
        run = http.get(f"/pipeline_execution/{result}").json()
        pipeline = http.get(f"/pipeline/{run['pipeline_id']}").json()
    metadata = run["execution_metadata"]
    assert metadata["orchestrator"] == "airflow"
    assert (metadata["dag_id"], metadata["task_id"], metadata["run_id"]) == (
        "orders_dag",
        "load",
        "manual__1",
    )
    assert pipeline["watermark"] == "42"


def test_errors_reach_the_sdk_with_message_and_code(
    sdk_python: Path, watcher_url: str, unique: str
) -> None:
    result = run_sdk(
        sdk_python,
        watcher_url,
        """
import pendulum
errors = {}
try:
    client.end_pipeline_execution(987654321, completed_successfully=True, end_date=pendulum.now())
except WatcherAPIError as error:
    errors["404"] = [error.status_code, error.error_code, str(error)]
try:
    client.update_pipeline_next_watermark(pipeline_id=987654321, next_watermark="x" * 300)
except WatcherAPIError as error:
    errors["422"] = [error.status_code, error.error_code, str(error)]
result = errors
""",
    )

    assert result["404"][:2] == [404, "NOT_FOUND"]
    assert result["404"][2].startswith("pipeline execution 987654321 not found")
    assert result["422"][:2] == [422, "VALIDATION_ERROR"]
    assert result["422"][2].startswith("next_watermark:")
