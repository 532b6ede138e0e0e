"""The run's report: a markdown summary (printed, and saved) and the raw figures as JSON."""

import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.harness.compare import Comparison
from bench.harness.servers import REPO_ROOT

PACKAGES = ("fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools", "SQLAlchemy",
            "asyncpg", "aiosqlite")  # fmt: skip


@dataclass
class Record:
    """A result that is not a throughput comparison (e.g. memory), with its own verdict."""

    name: str
    figures: dict[str, Any]
    target: str = ""
    outcome: str = ""  # "pass", "miss" or "" (informative only)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    options: dict[str, Any]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    comparisons: list[Comparison] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def machine(self) -> dict[str, Any]:
        versions = {}
        for package in PACKAGES:
            try:
                versions[package] = metadata.version(package)
            except metadata.PackageNotFoundError:
                versions[package] = None
        return {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "git": _git_revision(),
            "packages": versions,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "options": self.options,
            "machine": self.machine(),
            "comparisons": [_comparison_json(c) for c in self.comparisons],
            "records": [record.__dict__ for record in self.records],
            "errors": self.errors,
        }

    def markdown(self) -> str:
        machine = self.machine()
        lines = [
            f"Run of {self.started_at:%Y-%m-%d %H:%M} UTC, git {machine['git']}, "
            f"{machine['cpus']} CPUs, Python {machine['python']}; "
            + ", ".join(f"{k} {v}" for k, v in self.options.items() if k != "postgres"),
            "",
            "| scenario | cell | figure (median) | req/s | p50 ms | p95 ms | p99 ms | failures | "
            "ratio | other CPU % |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for comparison in self.comparisons:
            lines += [_cell_row(comparison, label) for label in comparison.results]
        lines += ["", "| scenario | target | measured | verdict |", "|---|---|---|---|"]
        for comparison in self.comparisons:
            for verdict in comparison.verdicts():
                target = verdict.target
                measured = _measured(comparison, target.cell, verdict.ratio)
                outcome = verdict.outcome + (
                    f" ({'; '.join(verdict.reasons)})" if verdict.reasons else ""
                )
                describe = target.describe(comparison.baseline, comparison.unit)
                lines.append(
                    f"| {comparison.name}: {target.cell} | {describe} | {measured} | {outcome} |"
                )
        for record in self.records:
            figures = ", ".join(f"{key} {value}" for key, value in record.figures.items())
            lines.append(
                f"| {record.name} | {record.target} | {figures} | {record.outcome or '—'} |"
            )
        notes = [f"- {c.name}: {note}" for c in self.comparisons for note in c.notes]
        notes += [f"- {r.name}: {note}" for r in self.records for note in r.notes]
        notes += [f"- ERROR: {error}" for error in self.errors]
        return "\n".join(lines + (["", *notes] if notes else [])) + "\n"

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        stem = directory / f"{self.started_at:%Y%m%d-%H%M%S}"
        stem.with_suffix(".json").write_text(json.dumps(self.to_json(), indent=2, default=str))
        stem.with_suffix(".md").write_text(self.markdown())
        return stem.with_suffix(".md")


def _cell_row(comparison: Comparison, label: str) -> str:
    kept = comparison.kept_measurements(label)
    other = [m.other_cpu for m in comparison.results[label] if m.other_cpu is not None]
    ratio = comparison.ratio(label)
    name = comparison.name
    if comparison.discarded:
        name += f" [{len(kept)}/{len(comparison.results[label])} rounds kept]"
    ratio_text = "—" if label == comparison.baseline or ratio is None else f"{ratio:.2f}x"
    return (
        f"| {name} | {label} | {comparison.median_of(label, 'rate'):,.0f} {comparison.unit} | "
        f"{comparison.median_of(label, 'requests_per_second'):,.0f} | "
        f"{comparison.median_of(label, 'p50_ms'):.1f} | "
        f"{comparison.median_of(label, 'p95_ms'):.1f} | "
        f"{comparison.median_of(label, 'p99_ms'):.1f} | "
        f"{comparison.failures(label)} | {ratio_text} | "
        f"{f'{max(other):.0f}' if other else '—'} |"
    )


def _measured(comparison: Comparison, label: str, ratio: float | None) -> str:
    ratio_text = f"{ratio:.2f}x, " if ratio is not None else ""
    return (
        f"{ratio_text}{comparison.median_of(label, 'rate'):,.0f} {comparison.unit}, "
        f"p95/p99 {comparison.median_of(label, 'p95_ms'):.1f}/"
        f"{comparison.median_of(label, 'p99_ms'):.1f} ms"
    )


def _comparison_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "name": comparison.name,
        "unit": comparison.unit,
        "baseline": comparison.baseline,
        "kept_rounds": comparison.kept,
        "unstable": comparison.unstable,
        "cells": {
            label: {
                "rounds": [m.to_dict() for m in measurements],
                "ratio": comparison.ratio(label),
            }
            for label, measurements in comparison.results.items()
        },
        "verdicts": [
            {"cell": v.target.cell, "ratio": v.ratio, "outcome": v.outcome, "reasons": v.reasons}
            for v in comparison.verdicts()
        ],
        "notes": comparison.notes,
    }


def _git_revision() -> str:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return completed.stdout.strip() + ("+dirty" if dirty else "") or "unknown"
