"""Run by bench/observability.py in a child process whose PROMETHEUS_MULTIPROC_DIR is set
before prometheus_client is imported, as under `watcher serve`: one app with metrics on and
one with them off, on one SQLite file, alternated lifecycle by lifecycle so that a busy
machine slows both alike. Prints the median lifecycle time of each, in ms, as JSON.

`python -m bench._metrics_in_process <sqlite url> <lifecycles>`
"""

import asyncio
import json
import statistics
import sys
import time

import httpx

from watcher_server.app import create_app
from watcher_server.settings import Settings


async def measure(url: str, lifecycles: int) -> dict[str, float]:
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    sides = {
        "metrics off": create_app(settings.model_copy(update={"watcher_metrics": False})),
        "metrics on": create_app(settings.model_copy(update={"watcher_metrics": True})),
    }
    clients = {
        side: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
        for side, app in sides.items()
    }
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    off, on = sides.values()
    async with off.router.lifespan_context(off), on.router.lifespan_context(on):
        body = {"name": "metrics_bench", "pipeline_type_name": "bench"}
        pipeline_id = (await clients["metrics on"].post("/pipeline", json=body)).json()["id"]
        for number in range(lifecycles):
            order = list(sides) if number % 2 else list(reversed(sides))
            for side in order:
                began = time.perf_counter()
                run = await clients[side].post(
                    "/start_pipeline_execution", json={"pipeline_id": pipeline_id}
                )
                end = {"id": run.json()["id"], "completed_successfully": True}
                (await clients[side].post("/end_pipeline_execution", json=end)).raise_for_status()
                seconds[side].append(time.perf_counter() - began)
    return {side: statistics.median(times) * 1000 for side, times in seconds.items()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1], int(sys.argv[2])))))
