"""Every way the database can be unavailable answers 503 with Retry-After, never 500.

A server that is not there, restarting under load, starting up, out of connections, ending
sessions mid-request; a SQLite file locked by another process: callers get the answer the
published client retries, no acknowledged write is lost, and the service recovers on its own.
"""

import asyncio
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import TEST_DATABASE_URL, app_client
from tests.factories import create_pipeline
from tests.processes import free_port
from watcher_server.db import migrate
from watcher_server.db.url import normalize_database_url
from watcher_server.settings import Settings


def watcher_settings(database_url: str, **fields: Any) -> Settings:
    return Settings(
        _env_file=None, database_url=database_url, watcher_background_jobs=False, **fields
    )


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2"
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"
    assert response.json()["message"]


async def ready_and_write(settings: Settings) -> list[httpx.Response]:
    """GET /ready and a write, from an app that starts while the database cannot serve it."""
    async with app_client(settings) as http:
        assert (await http.get("/health")).status_code == 200
        ready = await http.get("/ready")
        write = await http.post("/pipeline", json={"name": "p", "pipeline_type_name": "t"})
    return [ready, write]


@pytest.mark.parametrize(
    "url",
    ["postgresql://watcher@127.0.0.1:1/nowhere", "sqlite:////nonexistent-dir/deeper/watcher.db"],
)
async def test_unreachable_database_answers_503_with_retry_after(url: str) -> None:
    for response in await ready_and_write(watcher_settings(url)):
        assert_unavailable(response)


# --- SQLite: a file whose write lock another process holds ----------------------------------


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A migrated SQLite database of the test's own, whichever database the suite runs on."""
    path = tmp_path / "watcher.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


async def test_locked_sqlite_file_answers_503_then_recovers(sqlite_file: Path) -> None:
    settings = watcher_settings(f"sqlite:///{sqlite_file}", database_busy_timeout_seconds=0.2)
    async with app_client(settings) as http:
        start = {"pipeline_id": await create_pipeline(http, "locked")}
        with _write_lock(sqlite_file):
            began = time.monotonic()
            locked = await http.post("/start_pipeline_execution", json=start)
            waited = time.monotonic() - began
        unlocked = await http.post("/start_pipeline_execution", json=start)

    assert_unavailable(locked)
    assert 0.2 <= waited < 5  # the busy timeout, then the answer
    assert unlocked.status_code == 201


@contextmanager
def _write_lock(path: Path) -> Iterator[None]:
    """A write transaction of another process (the CLI, a separate job runner), held open."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


# --- PostgreSQL: sessions ended mid-request -------------------------------------------------


class Ledger:
    """What callers running start/end lifecycles were told. A caller retries a 503 as the
    published client does (sooner, to keep tests short) and stops at any other failure."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []
        self.ended: list[int] = []  # runs whose start and end were both acknowledged

    async def run(self, http: httpx.AsyncClient, pipelines: list[int], stop: asyncio.Event):
        """One caller per pipeline, each until `stop` is set."""
        await asyncio.gather(*(self._lifecycles(http, pipeline, stop) for pipeline in pipelines))

    async def _lifecycles(self, http: httpx.AsyncClient, pipeline_id: int, stop: asyncio.Event):
        while not stop.is_set():
            start = {"pipeline_id": pipeline_id, "idempotency_key": uuid.uuid4().hex}
            started = await self._until_answered(http, "/start_pipeline_execution", start)
            if not started.is_success:
                return
            end = {"id": started.json()["id"], "completed_successfully": True, "inserts": 1}
            if not (await self._until_answered(http, "/end_pipeline_execution", end)).is_success:
                return
            self.ended.append(end["id"])

    async def _until_answered(
        self, http: httpx.AsyncClient, path: str, body: dict[str, Any]
    ) -> httpx.Response:
        deadline = time.monotonic() + 15
        while True:
            response = await http.post(path, json=body)
            self.responses.append(response)
            if response.status_code != 503 or time.monotonic() > deadline:
                return response
            await asyncio.sleep(0.05)

    def assert_only_success_or_unavailable(self) -> None:
        unavailable = [response for response in self.responses if response.status_code == 503]
        for response in unavailable:
            assert_unavailable(response)
        failures = [r.text for r in self.responses if not r.is_success and r.status_code != 503]
        assert not failures
        assert unavailable, "no call met the outage: the test proved nothing"

    async def assert_acknowledged_runs_ended(self, database_url: str) -> None:
        engine = create_async_engine(normalize_database_url(database_url))
        try:
            async with engine.connect() as conn:
                ended = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pipeline_execution WHERE id = ANY(:ids) "
                        "AND end_date IS NOT NULL AND completed_successfully"
                    ),
                    {"ids": self.ended},
                )
        finally:
            await engine.dispose()
        assert self.ended
        assert ended == len(set(self.ended))


async def test_sessions_ended_mid_request_answer_503_then_recover(
    settings: Settings, unique: str
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("sessions ended by the server: a PostgreSQL scenario")
    async with app_client(settings) as http:
        pipelines = [await create_pipeline(http, f"terminated {i} {unique}") for i in range(4)]
        ledger, stop = Ledger(), asyncio.Event()
        callers = asyncio.create_task(ledger.run(http, pipelines, stop))
        for _ in range(5):
            await asyncio.sleep(0.1)
            await _terminate_other_sessions(settings.async_database_url)
        stop.set()
        await callers
        after = [await http.get(f"/pipeline/{pipeline_id}") for pipeline_id in pipelines]

    ledger.assert_only_success_or_unavailable()
    assert [response.status_code for response in after] == [200] * len(pipelines)
    await ledger.assert_acknowledged_runs_ended(settings.database_url)


async def _terminate_other_sessions(url: str) -> None:
    """pg_terminate_backend, from an admin connection, of every other session on the database."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await engine.dispose()


# --- PostgreSQL: a server of the tests' own, to restart and misconfigure --------------------


def _postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian's layout), else initdb's on PATH."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3])
    )
    if installed:
        return installed[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class Cluster:
    """A throw-away PostgreSQL cluster: its own port, data and socket directory, under a
    temporary directory. initdb and postgres refuse to run as root: as root, they run as the
    postgres user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="watcher-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/watcher"
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def create(self) -> None:
        initdb = ("-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self._run("initdb", *initdb)
        self._run(*self._pg_ctl("start"))
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "watcher")

    async def restart(self, *server_settings: str) -> None:
        """`pg_ctl restart -m fast`: sessions are ended, connections refused until it is up."""
        process = await asyncio.create_subprocess_exec(
            *self._command(*self._pg_ctl("restart", *server_settings)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            stop = ("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
            subprocess.run(self._command(*stop), check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, action: str, *server_settings: str) -> tuple[str, ...]:
        options = [f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"]
        options += [f"-c {setting}" for setting in server_settings]
        log = str(self.root / "log")
        data = str(self.data)
        return (
            "pg_ctl",
            action,
            "-D",
            data,
            "-l",
            log,
            "-m",
            "fast",
            "-w",
            "-o",
            " ".join(options),
        )

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(self._command(program, *args), check=True, capture_output=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL runs only: set WATCHER_TEST_DATABASE_URL")
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("needs PostgreSQL's initdb (in /usr/lib/postgresql/*/bin or on PATH)")
    cluster = Cluster(bin_dir)
    try:
        cluster.create()
        migrate.upgrade(cluster.url)
        yield cluster
    finally:
        cluster.remove()


async def test_restart_under_load_answers_2xx_or_503_and_loses_no_write(cluster: Cluster) -> None:
    async with app_client(watcher_settings(cluster.url)) as http:
        pipelines = [await create_pipeline(http, f"restart {i}") for i in range(8)]
        ledger, stop = Ledger(), asyncio.Event()
        callers = asyncio.create_task(ledger.run(http, pipelines, stop))
        await asyncio.sleep(0.3)
        await cluster.restart()
        await asyncio.sleep(1)  # and on, with the restarted server
        stop.set()
        await callers

    ledger.assert_only_success_or_unavailable()
    await ledger.assert_acknowledged_runs_ended(cluster.url)


async def test_connections_from_before_a_restart_are_not_handed_out(cluster: Cluster) -> None:
    async with app_client(watcher_settings(cluster.url, database_pool_size=4)) as http:
        pipeline_id = await create_pipeline(http, "idle restart")
        await asyncio.gather(*(http.get(f"/pipeline/{pipeline_id}") for _ in range(4)))
        await cluster.restart()
        after = [await http.get(f"/pipeline/{pipeline_id}") for _ in range(6)]

    assert [response.status_code for response in after] == [200] * 6


async def test_server_not_accepting_connections_answers_503(cluster: Cluster) -> None:
    # A standby without hot standby refuses every connection with 57P03 cannot_connect_now,
    # what a starting or stopping server answers for a moment.
    (cluster.data / "standby.signal").touch()
    try:
        await cluster.restart("hot_standby=off")
        responses = await ready_and_write(watcher_settings(cluster.url))
    finally:
        (cluster.data / "standby.signal").unlink()
        await cluster.restart()

    for response in responses:
        assert_unavailable(response)


async def test_too_many_connections_answers_503(cluster: Cluster) -> None:
    engine = create_async_engine(normalize_database_url(cluster.url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE ROLE limited LOGIN CONNECTION LIMIT 0"))
    finally:
        await engine.dispose()
    url = cluster.url.replace("postgres@", "limited@")

    for response in await ready_and_write(watcher_settings(url)):  # 53300 too_many_connections
        assert_unavailable(response)
