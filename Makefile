# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# gunicorn: 2 gthread workers × 4 threads, chosen by `make loadtest` (README, bench/RESULTS.md)
WORKERS ?= 2
THREADS ?= 4
# make loadtest LOADTEST_ARGS="--configs sync:2,sync:4,gthread:2x4" compares worker configurations
LOADTEST_ARGS ?=
# make bench BENCH_ARGS="--only rollup,search" runs a part of bench.run (the scale and search benchmarks follow)
BENCH_ARGS ?=
# pytest-xdist processes of `make test` (on PostgreSQL each worker gets a database of its own)
TEST_WORKERS ?= 2
BACKUP_DIR ?= backups
FLASK := $(BIN)/flask --app wsgi
TRANSLATION_DIRS := translations $(wildcard */translations)

.PHONY: run serve test install dev-install translations migrate seed bench loadtest lint scheduler backup restore clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e ".[pdf]"
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed translations

dev-install: $(VENV)/.dev-installed translations

translations: $(VENV)/.installed
	@for d in $(TRANSLATION_DIRS); do $(BIN)/pybabel compile -f -d $$d >/dev/null || exit 1; done

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed
	$(FLASK) seed-demo

run: seed
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: seed
	$(BIN)/gunicorn --worker-class gthread --workers $(WORKERS) --threads $(THREADS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

scheduler: migrate
	$(FLASK) scheduler

test: dev-install
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: dev-install
	$(BIN)/lint-imports --no-cache

bench: dev-install
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.scale --postgres
	$(BIN)/python -m bench.search --repeat 7

loadtest: dev-install
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

# make backup [BACKUP_DIR=backups]: a new file per run (mode 0600), never a partial one
backup: $(VENV)/.installed
	$(FLASK) backup --dir $(BACKUP_DIR)

# make restore FILE=backups/yinzhou-….db (or .dump): replaces the database's content
restore: $(VENV)/.installed
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/yinzhou-YYYYMMDD-HHMMSS-xxxxxx.db|.dump" >&2; exit 2; }
	$(FLASK) restore --yes "$(FILE)"

clean:
	rm -rf $(VENV) *.egg-info
