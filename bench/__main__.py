"""`python -m bench`: run every scenario module of this package into one report.

A scenario module is any `bench/<name>.py` with a `run(ctx)` function; the ones listed in
ORDER run first, the others after them in alphabetical order.
"""

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.harness.context import parser, run_modules

ORDER = ("core", "sqlite", "footprint")
# Standalone scripts with their own command line (run by `make bench` one by one).
STANDALONE = {"lineage", "cleanup", "monitoring_checks"}
NOT_SCENARIOS = {"baseline_app", "harness", "__main__", *STANDALONE}


def discover() -> list[object]:
    names = [
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name not in NOT_SCENARIOS and not info.name.startswith("_")
    ]
    names.sort(key=lambda name: (ORDER.index(name) if name in ORDER else len(ORDER), name))
    modules = [importlib.import_module(f"bench.{name}") for name in names]
    return [module for module in modules if hasattr(module, "run")]


def main() -> None:
    modules = discover()
    arguments = parser(modules).parse_args()
    if arguments.only:
        wanted = {name.strip() for name in arguments.only.split(",")}
        unknown = wanted - {module.__name__.removeprefix("bench.") for module in modules}
        if unknown:
            raise SystemExit(f"unknown scenario module(s): {', '.join(sorted(unknown))}")
        modules = [m for m in modules if m.__name__.removeprefix("bench.") in wanted]
    sys.exit(run_modules(modules, arguments))


if __name__ == "__main__":
    main()
