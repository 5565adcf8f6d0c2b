# zhengwu — the two commands of the README's Quick start, and the checks behind them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test check lint types install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## make demo: simulate a city, import it, compute what exists, start the console
## (DEMO_FLAGS: options of `zhengwu demo`, e.g. DEMO_FLAGS="--port 8001" or "--no-serve")
DEMO_FLAGS ?=
demo: install
	$(BIN)/zhengwu demo $(DEMO_FLAGS)

## make test: the whole test suite (SQLite always; PostgreSQL when ZHENGWU_TEST_DATABASE_URL is set)
test: install
	./scripts/ensure-chromium.sh
	$(BIN)/pytest -n auto --dist worksteal -q --durations=15

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

types: install
	$(BIN)/mypy

## make check: format, lint, types and tests in one go
check: lint types test

bench: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) zhengwu-data .pytest_cache .mypy_cache .ruff_cache
