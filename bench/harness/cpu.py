"""How much CPU other work on the machine took while a cell ran (the noise the ratios absorb).

"Ours" is this process and its children (servers, wrk) plus the PostgreSQL backends of the
benchmark's databases; everything else busy on the machine is "other". Linux only; on any
failure the figure is simply missing.
"""

import asyncio
import contextlib
import os
import time
from pathlib import Path

import asyncpg

from bench.harness.databases import plain_url

_TICKS = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return user + nice + system + irq + softirq + steal


def _process_ticks(pid: int, *, children: bool = False) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime of reaped children
    return ticks


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


async def _backend_pids(database_urls: list[str]) -> set[int]:
    pids: set[int] = set()
    for url in database_urls:
        connection = await asyncpg.connect(plain_url(url))
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            pids |= {row["pid"] for row in rows}
        finally:
            await connection.close()
    return pids


class OtherCpu:
    """`with OtherCpu(urls) as sample: ...`, then `sample.percent` (of one core) or None."""

    def __init__(self, database_urls: list[str]) -> None:
        self.urls = [url for url in database_urls if _is_local_postgres(url)]
        self.percent: float | None = None

    def _own_ticks(self, backends: set[int]) -> dict[int, int]:
        pids = _descendants(os.getpid()) | backends
        return {pid: _process_ticks(pid) for pid in pids}

    def __enter__(self) -> "OtherCpu":
        try:
            self._backends = asyncio.run(_backend_pids(self.urls))
            self._began = time.monotonic()
            self._busy = _busy_ticks()
            self._self = _process_ticks(os.getpid(), children=True)
            self._own = self._own_ticks(self._backends)
        except (OSError, asyncpg.PostgresError):
            self._began = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._began is None or exc[0] is not None:
            return
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            own_after = self._own_ticks(self._backends | asyncio.run(_backend_pids(self.urls)))
            own = _process_ticks(os.getpid(), children=True) - self._self
            own += sum(ticks - self._own.get(pid, 0) for pid, ticks in own_after.items())
            other = _busy_ticks() - self._busy - own
            seconds = time.monotonic() - self._began
            self.percent = max(0.0, 100 * other / _TICKS / seconds) if seconds else None


def _is_local_postgres(url: str) -> bool:
    if not url.startswith("postgresql"):
        return False
    from watcher_server.db.url import parse_database_url

    return parse_database_url(url).host in ("127.0.0.1", "localhost", "::1", None)


def process_tree_seconds(pid: int) -> float:
    """CPU seconds used so far by process `pid` and its living descendants (e.g. a server
    and its workers)."""
    pids = {pid} | _descendants(pid)
    return sum(_process_ticks(each) for each in pids) / _TICKS
