"""The SDK example in examples/ runs against Watcher and resumes from its watermark."""

import subprocess
from pathlib import Path

import httpx

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sdk_pipeline.py"


def run_example(sdk_python: Path, base_url: str, work: Path) -> str:
    completed = subprocess.run(
        [str(sdk_python), str(EXAMPLE), base_url, str(work)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=work.parent,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_example_loads_incrementally_with_lineage(
    sdk_python: Path, watcher_url: str, tmp_path: Path
) -> None:
    first = run_example(sdk_python, watcher_url, tmp_path / "work")
    second = run_example(sdk_python, watcher_url, tmp_path / "work")

    assert "2 inserted, 0 updated" in first
    assert "2 inserted, 1 updated" in second  # only what changed since the first run's watermark
    with httpx.Client(base_url=watcher_url) as http:
        pipelines = http.get("/pipeline", params={"limit": 10_000}).json()
        [pipeline] = [p for p in pipelines if p["name"] == "example_orders_incremental"]
        runs = http.get("/pipeline_execution", params={"pipeline_id": pipeline["id"]}).json()
        addresses = http.get("/address", params={"limit": 10_000}).json()
    assert [run["status"] for run in runs] == ["succeeded", "succeeded"]
    assert pipeline["watermark"] == runs[0]["next_watermark"]
    by_name = {a["name"]: a["id"] for a in addresses}
    assert {"source.main.orders", "warehouse.main.orders"} <= set(by_name)
    with httpx.Client(base_url=watcher_url) as http:
        graph = http.get(
            f"/lineage/{by_name['source.main.orders']}", params={"direction": "downstream"}
        ).json()
    [edge] = graph["edges"]
    assert (edge["source"], edge["target"]) == (
        by_name["source.main.orders"],
        by_name["warehouse.main.orders"],
    )
    assert [carrier["id"] for carrier in edge["pipelines"]] == [pipeline["id"]]
