"""Watcher's benchmarks: every figure a ratio to a baseline measured in the same run.

`python -m bench` runs every scenario module of this package; `python -m bench.<module>` runs
one. The shared machinery (servers, throw-away databases, load, rounds, reports) is
`bench.harness`; docs/benchmarks.md explains the method and how to add a scenario.
"""
