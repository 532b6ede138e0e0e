# Watcher: `make run` serves on SQLite with no other set-up; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format lock clean bench bench-smoke wrk

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Watcher needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

## Migrate the database (DATABASE_URL, default sqlite:///watcher.db) and serve on HOST:PORT.
run: install
	$(BIN)/watcher db upgrade
	$(BIN)/watcher serve --host $(HOST) --port $(PORT)

## Lint, then run the tests (on PostgreSQL when WATCHER_TEST_DATABASE_URL is set).
test: install lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

format: install
	$(BIN)/ruff check --fix src tests bench examples
	$(BIN)/ruff format src tests bench examples

## Every benchmark, ratios to the reference app in the same run (about 25 minutes; see
## docs/benchmarks.md). PostgreSQL from BENCH_POSTGRES_URL; flags in BENCH_ARGS, e.g.
## BENCH_ARGS="--only core --seconds 5".
bench: install wrk
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.lineage --edges 10000
	$(BIN)/python -m bench.lineage --edges 100000
	$(BIN)/python -m bench.monitoring_checks $${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
	$(BIN)/python -m bench.cleanup
	$(BIN)/python -m bench.console --fcp
	$(BIN)/python -m bench.lineage_explorer
	$(BIN)/python -m bench.report

## A tiny run of every scenario that only checks the harness works (well under a minute).
bench-smoke: install
	$(BIN)/python -m bench --smoke $(BENCH_ARGS)
	$(BIN)/python -m bench.report --smoke

wrk:
	@command -v wrk >/dev/null || apt-get install -y -q wrk || \
		(apt-get update -q && apt-get install -y -q wrk) || \
		{ echo "error: the benchmarks need wrk; install it with: apt-get install -y wrk" >&2; exit 1; }

lock: install
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis bench/results
