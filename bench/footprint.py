"""Memory: Watcher's resident set idle, after a warm-up, and after sustained lifecycle load.

Growth is judged from the warmed-up process (pools open, statements cached) to the end of the
soak (`--soak`, 600 s for the real run), so that one-off start-up allocations do not count as a
leak. The reference app's figures are shown beside Watcher's. Load runs in chunks of at most
CHUNK_SECONDS, with the RSS sampled between chunks, so the report shows the trend and the p99
of the first and last chunk (latency drift). Run alone with `python -m bench.footprint`.
"""

import time

from bench.harness import Context, Dataset, Measurement, Record, data, main, workloads
from bench.harness.servers import Server

CHUNK_SECONDS = 60
MAX_GROWTH = 0.10
IDLE_SETTLE_SECONDS = 1


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    warmup = max(2.0, min(30.0, ctx.options.soak / 10))
    with ctx.postgres("footprint") as url:
        data.load(url, dataset)
        with ctx.baseline(url) as baseline:
            baseline_idle, baseline_warm = _idle_and_warm(ctx, baseline, workload, warmup)
        with ctx.watcher(url) as watcher:
            idle, warm = _idle_and_warm(ctx, watcher, workload, warmup)
            chunks, samples = _soak(ctx, watcher, workload)
            time.sleep(IDLE_SETTLE_SECONDS)
            after = watcher.rss_kib()
    growth = (after - warm) / warm
    ctx.record(
        Record(
            name=f"footprint: RSS after {ctx.options.soak:g} s of lifecycle load, c=16",
            figures={
                "watcher idle MiB": _mib(idle),
                "after warm-up MiB": _mib(warm),
                "after soak MiB": _mib(after),
                "growth": f"{growth:+.1%}",
                "baseline idle/warm MiB": f"{_mib(baseline_idle)}/{_mib(baseline_warm)}",
                "lifecycles/s": round(
                    sum(m.lifecycles or 0 for m in chunks) / sum(m.seconds for m in chunks)
                ),
                "p99 first/last chunk ms": f"{chunks[0].p99_ms:.1f}/{chunks[-1].p99_ms:.1f}",
                "failures": sum(m.failures for m in chunks),
            },
            target=f"growth ≤ {MAX_GROWTH:.0%} (warmed-up → after soak)",
            outcome="pass" if growth <= MAX_GROWTH else "miss",
            notes=[f"RSS samples (MiB) between chunks: {[_mib(s) for s in samples]}"],
        )
    )


def _idle_and_warm(
    ctx: Context, server: Server, workload: workloads.Workload, seconds: float
) -> tuple[int, int]:
    time.sleep(IDLE_SETTLE_SECONDS)
    idle = server.rss_kib()
    ctx.load(server, workload, seconds=seconds)
    time.sleep(IDLE_SETTLE_SECONDS)
    return idle, server.rss_kib()


def _soak(
    ctx: Context, server: Server, workload: workloads.Workload
) -> tuple[list[Measurement], list[int]]:
    chunks, samples = [], []
    remaining = ctx.options.soak
    while remaining > 0:
        seconds = min(CHUNK_SECONDS, remaining)
        chunks.append(ctx.load(server, workload, seconds=seconds))
        samples.append(server.rss_kib())
        remaining -= seconds
    return chunks, samples


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


if __name__ == "__main__":
    main(run)
