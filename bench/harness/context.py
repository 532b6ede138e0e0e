"""What a scenario module receives: the options, and helpers that record into one report."""

import argparse
import contextlib
import dataclasses
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from bench.harness import databases, load, servers
from bench.harness.compare import Cell, Comparison, Target, interleave
from bench.harness.cpu import OtherCpu, process_tree_seconds
from bench.harness.load import Measurement, Workload
from bench.harness.report import Record, Report
from bench.harness.servers import REPO_ROOT, Server

RESULTS_DIRECTORY = REPO_ROOT / "bench" / "results"


@dataclasses.dataclass(frozen=True)
class Options:
    smoke: bool
    seconds: float  # per measured cell
    warmup: float  # per server and workload, before its first measured cell
    rounds: int
    pipelines: int
    executions: int
    soak: float  # footprint: seconds of sustained load
    loadgen: str  # "wrk" or "python"
    postgres: str  # server URL the throw-away databases are created on
    results: Path
    strict: bool
    extra: argparse.Namespace  # flags added by scenario modules (add_arguments)


def parser(modules: list[object] = ()) -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(description="Watcher benchmarks (see docs/benchmarks.md).")
    add = cli.add_argument
    add("--smoke", action="store_true", help="tiny sizes and 1 s cells: checks the harness works")
    add("--seconds", type=float, help="seconds per measured cell (default 8; smoke 1)")
    add("--warmup", type=float, help="warm-up seconds per server and workload (default 2; smoke 0)")
    add("--rounds", type=int, help="interleaved rounds (default 3; smoke 1)")
    add("--pipelines", type=int, default=1000, help="pipelines in the data set (default 1000)")
    add("--executions", type=int, help="executions of history (default 100000; smoke 1000)")
    add("--soak", type=float, help="footprint: seconds of sustained load (default 600; smoke 3)")
    add("--loadgen", choices=("auto", "wrk", "python"), default="auto",
        help="load generator; auto = wrk when installed")  # fmt: skip
    add("--postgres", default=None, help="PostgreSQL server for throw-away databases "
        f"(default BENCH_POSTGRES_URL or {databases.DEFAULT_POSTGRES_URL})")  # fmt: skip
    add("--results", type=Path, default=RESULTS_DIRECTORY, help="where reports are written")
    add("--strict", action="store_true", help="exit 1 when a target is missed")
    add("--only", default="", help="comma-separated scenario modules to run (default: all)")
    for module in modules:
        if hasattr(module, "add_arguments"):
            module.add_arguments(cli)
    return cli


def options_from(arguments: argparse.Namespace) -> Options:
    smoke = arguments.smoke

    def pick(value: float | None, full: float, tiny: float) -> float:
        return value if value is not None else (tiny if smoke else full)

    loadgen = arguments.loadgen
    if loadgen == "auto":
        loadgen = "wrk" if load.wrk_available() else "python"
    if loadgen == "wrk" and not load.wrk_available():
        raise SystemExit("wrk is not installed: `apt-get install -y wrk`, or pass --loadgen python")
    return Options(
        smoke=smoke,
        seconds=pick(arguments.seconds, 8, 1),
        warmup=pick(arguments.warmup, 2, 0),
        rounds=int(pick(arguments.rounds, 3, 1)),
        pipelines=arguments.pipelines,
        executions=int(pick(arguments.executions, 100_000, 1_000)),
        soak=pick(arguments.soak, 600, 3),
        loadgen=loadgen,
        postgres=arguments.postgres or databases.postgres_server_url(),
        results=arguments.results,
        strict=arguments.strict,
        extra=arguments,
    )


class Context:
    """Helpers shared by every scenario; everything measured lands in `self.report`."""

    def __init__(self, options: Options) -> None:
        self.options = options
        shown = {
            k: v for k, v in dataclasses.asdict(options).items() if k not in ("extra", "results")
        }
        self.report = Report(options=shown)
        self._database_urls: list[str] = []

    # Databases and servers --------------------------------------------------------------
    @contextlib.contextmanager
    def postgres(self, label: str) -> Iterator[str]:
        """A throw-away migrated PostgreSQL database (dropped on exit); its URL."""
        with databases.postgres(label, self.options.postgres) as url:
            self._database_urls.append(url)
            try:
                yield url
            finally:
                self._database_urls.remove(url)

    def sqlite(self, label: str) -> "contextlib.AbstractContextManager[str]":
        """A throw-away migrated SQLite file (removed on exit); its URL."""
        return databases.sqlite(label)

    def watcher(
        self, url: str, env: Mapping[str, str] | None = None
    ) -> "contextlib.AbstractContextManager[Server]":
        return servers.watcher(url, env)

    def baseline(self, url: str) -> "contextlib.AbstractContextManager[Server]":
        return servers.baseline(url)

    # Load --------------------------------------------------------------------------------
    def load(
        self,
        server: Server,
        workload: Workload,
        connections: int = 16,
        seconds: float | None = None,
    ) -> Measurement:
        """One load run, with the CPU the server and other work on the machine took meanwhile."""
        with OtherCpu(self._database_urls) as other:
            server_before = process_tree_seconds(server.pid)
            measurement = load.run(
                server.url,
                workload,
                connections=connections,
                seconds=self.options.seconds if seconds is None else seconds,
                loadgen=self.options.loadgen,
            )
            server_seconds = process_tree_seconds(server.pid) - server_before
        return dataclasses.replace(
            measurement, other_cpu=other.percent, server_cpu_seconds=server_seconds
        )

    def cell(
        self,
        label: str,
        server: Server,
        workload: Workload | Callable[[], Workload],
        connections: int = 16,
    ) -> Cell:
        """A cell that loads `server`; `workload` may be a function called before every round
        (e.g. to insert fresh running executions for an `end` workload)."""

        def current() -> Workload:
            return workload() if callable(workload) else workload

        def warmup() -> None:
            if self.options.warmup > 0:
                load.run(server.url, current(), connections=connections,
                         seconds=self.options.warmup, loadgen=self.options.loadgen)  # fmt: skip

        return Cell(label, lambda: self.load(server, current(), connections), warmup)

    # Results -----------------------------------------------------------------------------
    def compare(
        self, name: str, cells: list[Cell], targets: list[Target] = (), unit: str = "req/s"
    ) -> Comparison:
        """Measure `cells` (baseline first) in interleaved rounds and record the comparison."""

        def progress(round_index: int, cell: Cell, m: Measurement) -> None:
            print(
                f"  [{name}] round {round_index + 1} {cell.label}: {m.rate:,.0f} {unit}, "
                f"p50/p95/p99 {m.p50_ms:.1f}/{m.p95_ms:.1f}/{m.p99_ms:.1f} ms, "
                f"failures {m.failures}"
                + (f", other CPU {m.other_cpu:.0f}%" if m.other_cpu is not None else ""),
                flush=True,
            )

        results = interleave(cells, self.options.rounds, progress)
        comparison = Comparison(name, unit, results, list(targets))
        if comparison.discarded:
            comparison.notes.append(
                f"baseline unstable: round(s) {[i + 1 for i in comparison.discarded]} discarded"
            )
        self.report.comparisons.append(comparison)
        return comparison

    def record(self, record: Record) -> None:
        self.report.records.append(record)


def run_modules(modules: list[object], arguments: argparse.Namespace) -> int:
    """Run each module's `run(ctx)` into one report; the exit status of the whole run."""
    options = options_from(arguments)
    ctx = Context(options)
    # A stopped run still stops its servers and drops its databases (the `finally` blocks).
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"benchmarks: {', '.join(m.__name__ for m in modules)}; load generator {options.loadgen}",
          flush=True)  # fmt: skip
    for module in modules:
        print(f"== {module.__name__}", flush=True)
        try:
            module.run(ctx)
        except KeyboardInterrupt:
            raise
        except Exception:
            ctx.report.errors.append(f"{module.__name__}: {traceback.format_exc(limit=5)}")
            print(traceback.format_exc(), file=sys.stderr, flush=True)
    path = ctx.report.save(options.results)
    print(f"\n{ctx.report.markdown()}\nreport: {path}", flush=True)
    return _exit_status(ctx.report, options)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _exit_status(report: Report, options: Options) -> int:
    if report.errors:
        return 1
    failures = [c.name for c in report.comparisons for label in c.results if c.failures(label)]
    if failures:
        print(f"non-2xx responses or socket errors in: {', '.join(sorted(set(failures)))}")
        return 1
    misses = [v for c in report.comparisons for v in c.verdicts() if v.outcome == "miss"]
    misses += [r for r in report.records if r.outcome == "miss"]
    if options.strict and not options.smoke and misses:
        return 1
    return 0


def main(run: Callable[[Context], None]) -> None:
    """Entry point of a scenario module run on its own: `python -m bench.<module> [flags]`."""
    import types

    module = sys.modules[run.__module__]
    if module.__name__ == "__main__":
        module = types.SimpleNamespace(**vars(module))
        module.__name__ = Path(sys.argv[0]).stem
    arguments = parser([module]).parse_args()
    sys.exit(run_modules([module], arguments))
