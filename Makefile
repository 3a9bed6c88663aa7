# The two commands of README.md, and the PostgreSQL pass that CI adds.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/onramp_test
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-postgres typecheck format install bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/onramp migrate
	$(BIN)/onramp serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@test -x $(CHROMIUM) || echo "make test: $(CHROMIUM) is missing, so the browser tests (tests/browser/) are SKIPPED; apt-get install chromium to run them"
	$(BIN)/pytest -q -rs

# The browser tests run in the SQLite pass only (they drive a server of their own).
test-postgres: $(STAMP)
	ONRAMP_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest -q -rs

# Not part of `test` (see README's Benchmarks): medians of answer times, existing vs unknown
# email; then real servers under load from a separate process (about five minutes), a table,
# and bench/results.json. One scenario: $(BIN)/python -m bench run progress [--postgres ...].
bench: $(STAMP)
	$(BIN)/python -m bench.enumeration_timing
	$(BIN)/python -m bench all

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
