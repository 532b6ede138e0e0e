"""openlineage-python's own client, its HTTP transport pointed at a real Watcher server."""

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.openlineage.venvs import PYTHON_CLIENT, client_python
from tests.processes import watcher_server

SCRIPT = Path(__file__).parent / "clients" / "send_with_python_client.py"


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    with watcher_server(database_url) as base:
        yield base


def find(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(row for row in rows if row["name"] == name)


def test_the_python_client_reports_runs_nesting_outcomes_and_lineage(server: str) -> None:
    python = client_python(*PYTHON_CLIENT)
    suffix = uuid.uuid4().hex[:8]

    sent = subprocess.run(
        [str(python), str(SCRIPT), server, suffix], capture_output=True, text=True, check=False
    )

    assert sent.returncode == 0, sent.stderr
    with httpx.Client(base_url=server) as http:
        pipelines = http.get("/pipeline", params={"limit": 10000}).json()
        dag = find(pipelines, f"python_client.dag_{suffix}")
        load = find(pipelines, f"python_client.dag_{suffix}.load_sales")
        export = find(pipelines, f"python_client.dag_{suffix}.export")
        [dag_run] = http.get("/pipeline_execution", params={"pipeline_id": dag["id"]}).json()
        tree = http.get(f"/pipeline_execution/{dag_run['id']}").json()
        children = {run["pipeline_id"]: run for run in tree["child_executions"]}
        addresses = http.get("/address", params={"limit": 10000}).json()
        sales = find(addresses, f"shop.mart.sales_{suffix}")
        graph = http.get(f"/lineage/{sales['id']}", params={"direction": "upstream"}).json()
        orders = find(addresses, f"shop.raw.orders_{suffix}")

    assert dag_run["status"] == "failed"
    assert set(children) == {load["id"], export["id"]}
    assert (children[load["id"]]["status"], children[load["id"]]["total_rows"]) == (
        "succeeded",
        1500,
    )
    assert children[export["id"]]["status"] == "failed"
    error = children[export["id"]]["execution_metadata"]["openlineage"]["errorMessage"]
    assert error == "disk full"
    assert {node["name"] for node in graph["nodes"]} == {
        f"shop.mart.sales_{suffix}",
        f"shop.raw.orders_{suffix}",
        f"shop.raw.customers_{suffix}",
    }
    assert {edge["pipelines"][0]["id"] for edge in graph["edges"]} == {load["id"]}
    schema = orders["address_metadata"]["openlineage"]["facets"]["schema"]
    assert [field["name"] for field in schema["fields"]] == ["id", "amount"]
