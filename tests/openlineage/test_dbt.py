"""A real dbt project run with `dbt-ol` against PostgreSQL, reporting to a real Watcher server.

PostgreSQL runs only (dbt-postgres needs a server): the project builds its tables in a fresh
database of its own. dbt, dbt-postgres and openlineage-dbt live in their own virtualenv.
"""

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL, fresh_database
from tests.openlineage.venvs import DBT, client_python
from tests.processes import watcher_server
from watcher_server.db.url import parse_database_url

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL runs only: set WATCHER_TEST_DATABASE_URL"
)

PROJECT = Path(__file__).parent / "dbt_project"
MODELS = ("stg_orders", "customer_totals", "big_orders", "customer_report")
REFS = {
    ("stg_orders", "customer_totals"),
    ("stg_orders", "big_orders"),
    ("customer_totals", "customer_report"),
    ("big_orders", "customer_report"),
}
PROFILE = """watcher_shop:
  target: test
  outputs:
    test:
      type: postgres
      host: "{host}"
      port: {port}
      user: "{user}"
      password: "{password}"
      dbname: "{database}"
      schema: shop
      threads: 2
"""


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    with watcher_server(database_url) as base:
        yield base


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """The dbt project, copied, with a profile on a fresh database."""
    directory = tmp_path / "project"
    shutil.copytree(PROJECT, directory)
    with fresh_database(tmp_path) as url:
        server = parse_database_url(url)
        (directory / "profiles.yml").write_text(
            PROFILE.format(
                host=server.host,
                port=server.port or 5432,
                user=server.username,
                password=server.password or "",
                database=server.database,
            )
        )
        yield directory


class Dbt:
    def __init__(self, python: Path, project: Path, watcher: str, namespace: str) -> None:
        self.bin = python.parent
        self.project = project
        self.env = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",  # dbt-ol runs `dbt`
            "OPENLINEAGE_URL": watcher,
            "OPENLINEAGE_NAMESPACE": namespace,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def __call__(self, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / command), *args, "--profiles-dir", str(self.project)],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows}


def test_dbt_ol_reports_models_nested_runs_lineage_and_a_failure(
    server: str, project: Path
) -> None:
    dbt = Dbt(client_python(*DBT), project, server, f"dbt_{uuid.uuid4().hex[:8]}")
    namespace = dbt.env["OPENLINEAGE_NAMESPACE"]
    database = _profile_database(project)

    seeded = dbt("dbt", "seed")
    assert seeded.returncode == 0, seeded.stdout[-3000:]
    first = dbt("dbt-ol", "run")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    second = dbt("dbt-ol", "run", "--vars", "{fail_report: true}")
    assert second.returncode == 1, second.stdout[-3000:] + second.stderr[-3000:]

    with httpx.Client(base_url=server) as http:
        pipelines = by_name(http.get("/pipeline", params={"limit": 10000}).json())
        models = {
            model: pipelines[f"{namespace}.{database}.shop.watcher_shop.{model}"]
            for model in MODELS
        }
        parent = pipelines[f"{namespace}.dbt-run-watcher_shop"]
        dbt_runs = http.get("/pipeline_execution", params={"pipeline_id": parent["id"]}).json()
        trees = [http.get(f"/pipeline_execution/{run['id']}").json() for run in dbt_runs]
        types = {row["id"]: row["name"] for row in http.get("/pipeline_type").json()}
        addresses = by_name(http.get("/address", params={"limit": 10000}).json())
        tables = {model: addresses[f"{database}.shop.{model}"] for model in MODELS}
        edges = set()
        for model, table in tables.items():
            graph = http.get(f"/lineage/{table['id']}", params={"direction": "downstream"}).json()
            names = {node["id"]: node["name"].rsplit(".", 1)[1] for node in graph["nodes"]}
            edges |= {(model, names[edge["target"]]) for edge in graph["edges"]}

    assert {types[pipeline["pipeline_type_id"]] for pipeline in models.values()} == {"dbt"}
    assert sorted(tree["status"] for tree in trees) == ["failed", "succeeded"]
    for tree in trees:
        children = {child["pipeline_id"]: child["status"] for child in tree["child_executions"]}
        assert set(children) == {pipeline["id"] for pipeline in models.values()}
        failed = tree["status"] == "failed"
        expected_report = "failed" if failed else "succeeded"
        assert children[models["customer_report"]["id"]] == expected_report
    assert edges == REFS


def _profile_database(project: Path) -> str:
    text = (project / "profiles.yml").read_text()
    return text.split('dbname: "', 1)[1].split('"', 1)[0]
