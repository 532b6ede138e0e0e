"""OpenLineage events against Watcher's own calls, on the same server (issue 18).

A run reported as an OpenLineage START + COMPLETE pair (two inputs, one output, a row count:
pipeline get, addresses, start, lineage, end, load) against the same run recorded with
`start` + `end` calls, both over the standard data set: target >= 0.5x. Needs wrk (its own
script, `bench/openlineage.lua`). Also records the server's CPU per run of each, which other
work on the machine disturbs far less than the rate. Run alone with
`python -m bench.openlineage [--smoke]`.
"""

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.harness import Context, Dataset, Record, Target, data, main, server_cpu, workloads
from bench.harness.load import Workload

SCRIPT = Path(__file__).with_name("openlineage.lua")
JOBS = 200


def run(ctx: Context) -> None:
    name = "OpenLineage START + COMPLETE vs start + end"
    if ctx.options.loadgen != "wrk":
        ctx.record(Record(name, {}, "needs wrk", notes=["skipped: wrk is not installed"]))
        return
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    jobs = 10 if ctx.options.smoke else JOBS
    pairs = Workload("lifecycle", {"path": "/api/v1/lineage", "lo": "1", "hi": str(jobs)}, SCRIPT)
    with ctx.postgres("openlineage") as url:
        data.load(url, dataset)
        with ctx.watcher(url) as watcher:
            _first_runs(watcher.url, jobs)
            lifecycle = workloads.lifecycle(dataset.pipeline_ids)
            comparison = ctx.compare(
                name,
                [
                    ctx.cell("start + end", watcher, lifecycle),
                    ctx.cell("OpenLineage pairs", watcher, pairs),
                ],
                [Target("OpenLineage pairs", must=0.5, goal=0.7)],
                unit="runs/s",
            )
            ctx.record(server_cpu.record(comparison, "start + end", "OpenLineage pairs"))


def _first_runs(base: str, jobs: int) -> None:
    """One run of every job before measuring: the figure is that of jobs that ran before
    (their pipeline and tables exist), as in production."""

    def pair(job: int) -> None:
        run_id = f"{uuid.uuid4().hex[:20]}{job:012x}"
        run_id = f"{run_id[:8]}-{run_id[8:12]}-4{run_id[13:16]}-8{run_id[17:20]}-{run_id[20:]}"
        with httpx.Client(base_url=base, timeout=60) as http:
            for event_type in ("START", "COMPLETE"):
                response = http.post("/api/v1/lineage", json=_event(event_type, run_id, job))
                response.raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(pair, range(1, jobs + 1)))


def _event(event_type: str, run_id: str, job: int) -> dict[str, object]:
    """The events of openlineage.lua, for one job."""
    table = {"namespace": "postgres://db:5432"}
    return {
        "eventType": event_type,
        "eventTime": "2026-12-01T00:00:00Z",
        "producer": "bench",
        "schemaURL": "bench",
        "run": {"runId": run_id},
        "job": {"namespace": "bench", "name": f"job_{job}"},
        "inputs": [
            {**table, "name": f"bench.raw.a_{job}"},
            {**table, "name": f"bench.raw.b_{job}"},
        ],
        "outputs": [{**table, "name": f"bench.mart.out_{job}"}],
    }


if __name__ == "__main__":
    main(run)
