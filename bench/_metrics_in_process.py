"""Run by bench/observability.py in a child process whose PROMETHEUS_MULTIPROC_DIR is set
before prometheus_client is imported, as under `watcher serve`: one app with metrics on and
one with them off, alternated lifecycle by lifecycle (bench/harness/in_process.py). Prints
the median CPU microseconds of a lifecycle on each, as JSON.

`python -m bench._metrics_in_process <database url> <lifecycles>`
"""

import asyncio
import json
import sys

from bench.harness.in_process import alternate, post, running
from watcher_server.app import create_app
from watcher_server.settings import Settings


async def measure(url: str, lifecycles: int) -> dict[str, float]:
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    off = create_app(settings.model_copy(update={"watcher_metrics": False}))
    on = create_app(settings.model_copy(update={"watcher_metrics": True}))
    async with running(off, on):
        body = {"name": "metrics_bench", "pipeline_type_name": "bench"}
        pipeline = await post(on, "/pipeline", body)
        sides = {"metrics off": (off, []), "metrics on": (on, [])}
        return await alternate(sides, pipeline["id"], lifecycles)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1], int(sys.argv[2])))))
