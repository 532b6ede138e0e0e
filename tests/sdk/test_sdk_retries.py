"""The SDK retries POSTs on 5xx with the same body; Watcher must not double-count them."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.processes import free_port
from tests.sdk.conftest import run_sdk


class LossyProxy:
    """Forwards every call to Watcher, but answers the first call of each path with a 503,
    as if the response had been lost after the server did the work."""

    def __init__(self, upstream: str, lossy_paths: set[str]) -> None:
        self.upstream = upstream
        self.lossy_paths = lossy_paths
        self.calls: Counter[str] = Counter()
        self.app = Starlette(
            routes=[Route("/{path:path}", self.forward, methods=["GET", "POST", "PATCH"])]
        )

    async def forward(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.calls[path] += 1
        async with httpx.AsyncClient(base_url=self.upstream) as upstream:
            answer = await upstream.request(
                request.method,
                path,
                content=await request.body(),
                params=request.query_params,
                headers={"content-type": "application/json"},
            )
        if path in self.lossy_paths and self.calls[path] == 1:
            return Response("upstream hiccup", status_code=503, headers={"Retry-After": "0"})
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )


@pytest.fixture
def lossy_proxy(watcher_url_without_lineage_default: str) -> Iterator[tuple[str, LossyProxy]]:
    proxy = LossyProxy(
        watcher_url_without_lineage_default,
        {"/start_pipeline_execution", "/end_pipeline_execution"},
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(proxy.app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", proxy
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_retried_start_and_end_record_one_run(
    sdk_python: Path, lossy_proxy: tuple[str, LossyProxy], unique: str
) -> None:
    proxy_url, proxy = lossy_proxy
    result = run_sdk(
        sdk_python,
        proxy_url,
        """
config = PipelineConfig(pipeline=Pipeline(name=name, pipeline_type_name="sdk"),
                        next_watermark="50")
synced = client.sync_pipeline_config(config)
@client.track_pipeline_execution(pipeline_id=synced.pipeline.id, active=True, next_watermark="50")
def load():
    return ETLResult(completed_successfully=True, inserts=4)
result = {"pipeline_id": synced.pipeline.id, "execution_id": load().execution_id}
""",
        name=f"lossy {unique}",
    )

    assert proxy.calls["/start_pipeline_execution"] == 2
    assert proxy.calls["/end_pipeline_execution"] == 2
    with httpx.Client(base_url=proxy.upstream) as http:
        runs = http.get("/pipeline_execution", params={"pipeline_id": result["pipeline_id"]})
        pipeline = http.get(f"/pipeline/{result['pipeline_id']}").json()
    [run] = runs.json()
    assert (run["id"], run["status"], run["inserts"]) == (result["execution_id"], "succeeded", 4)
    assert pipeline["watermark"] == "50"
