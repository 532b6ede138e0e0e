"""etl-watcher-sdk with API keys: `Watcher(url, auth=token)` sends `Authorization: Bearer`."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import watcher_server
from tests.sdk.conftest import run_sdk
from watcher_server.auth import tokens

ADMIN = tokens.generate()
SYNC_AND_RUN = """
client = Watcher(URL, auth=token)
config = PipelineConfig(
    pipeline=Pipeline(name=name, pipeline_type_name="sdk"), default_watermark="0",
    next_watermark="10",
)
try:
    synced = client.sync_pipeline_config(config)

    @client.track_pipeline_execution(pipeline_id=synced.pipeline.id, active=True,
                                     watermark=synced.watermark, next_watermark="10")
    def load():
        return ETLResult(completed_successfully=True, inserts=3, total_rows=3)

    result = {"execution_id": load().execution_id}
except WatcherAPIError as exc:
    result = {"status": exc.status_code, "code": exc.error_code, "error": str(exc)}
"""


@pytest.fixture(scope="module")
def keyed_watcher(database_url: str) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A server that requires keys, a client of it, and a read and a write key's tokens."""
    with (
        watcher_server(
            database_url,
            WATCHER_AUTH="required",
            WATCHER_BOOTSTRAP_ADMIN_KEY=ADMIN,
            WATCHER_DEFAULT_LOAD_LINEAGE="false",
        ) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}) as http,
    ):
        keys = {
            scope: http.post(
                "/api_key", json={"name": f"sdk {scope} {ADMIN[-8:]}", "scope": scope}
            ).json()["token"]
            for scope in ("read", "write")
        }
        yield http, keys


def test_a_write_key_records_a_run(
    sdk_python: Path, keyed_watcher: tuple[httpx.Client, dict[str, str]], unique: str
) -> None:
    http, keys = keyed_watcher

    result = run_sdk(
        sdk_python, str(http.base_url), SYNC_AND_RUN, token=keys["write"], name=f"keyed {unique}"
    )

    run = http.get(f"/pipeline_execution/{result['execution_id']}").json()
    assert (run["status"], run["inserts"]) == ("succeeded", 3)


def test_a_read_keys_writes_are_refused_with_a_clear_error(
    sdk_python: Path, keyed_watcher: tuple[httpx.Client, dict[str, str]], unique: str
) -> None:
    http, keys = keyed_watcher

    result = run_sdk(
        sdk_python, str(http.base_url), SYNC_AND_RUN, token=keys["read"], name=f"read {unique}"
    )

    assert (result["status"], result["code"]) == (403, "FORBIDDEN")
    assert "needs a key with the write scope" in result["error"]
    names = {pipeline["name"] for pipeline in http.get("/pipeline?limit=10000").json()}
    assert f"read {unique}" not in names
