"""A real PgBouncer in transaction pooling, started for one test or benchmark run.

Debian's `pgbouncer` package provides the binary; it listens on a free port of 127.0.0.1 and
sends every database to the PostgreSQL server of the URL it is given.
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.harness.servers import free_port
from watcher_server.db.url import parse_database_url

START_TIMEOUT_SECONDS = 10


def available() -> bool:
    return shutil.which("pgbouncer") is not None


def _config(server: str, server_port: int, port: int, users: Path, pool_size: int) -> str:
    return f"""[databases]
* = host={server} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 2000
"""


@contextlib.contextmanager
def pgbouncer(postgres_url: str, pool_size: int = 20) -> Iterator[str]:
    """PgBouncer in front of the server of `postgres_url`; yields the same URL through it."""
    if not available():
        raise RuntimeError("pgbouncer is not installed: apt-get install -y pgbouncer")
    url = parse_database_url(postgres_url)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="watcher-pgbouncer-") as scratch:
        users = Path(scratch) / "users.txt"
        users.write_text(f'"{url.username}" ""\n')
        config = Path(scratch) / "pgbouncer.ini"
        config.write_text(_config(url.host, url.port or 5432, port, users, pool_size))
        os.chmod(scratch, 0o755)  # readable by the user PgBouncer drops to
        # PgBouncer refuses to run as root; it can switch to an unprivileged user instead.
        as_user = ["-u", "nobody"] if os.geteuid() == 0 and _has_user("nobody") else []
        log = Path(scratch) / "pgbouncer.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                ["pgbouncer", *as_user, str(config)], stdout=output, stderr=subprocess.STDOUT
            )
        try:
            _wait_until_listening(process, port, log)
            through = url.set(drivername="postgresql", port=port)
            yield through.render_as_string(hide_password=False)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on port {port} in {START_TIMEOUT_SECONDS}s")
