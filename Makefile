# The two commands of README.md, and the PostgreSQL pass that CI adds.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/onramp_test
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-postgres typecheck format install bench i18n

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

# Languages (README's "Languages"): extracts every tr()/trn() text and the data files' titles
# into services/i18n/messages.pot, then merges it into each catalogue (a changed text turns
# fuzzy, and the tests fail until it is translated again). Catalogues are compiled when the
# server first needs them: nothing to build.
I18N := services/i18n
i18n: $(STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-default-keywords \
		--keyword tr --keyword trn:1,2 --keyword t --add-comments TRANSLATORS: --add-location file \
		--sort-output --project Onramp --copyright-holder Onramp --width 100 \
		--output-file $(I18N)/messages.pot api gateways resolvers services web/app/assets
	for po in $(I18N)/catalogues/*.po; do \
		$(BIN)/pybabel update --input-file $(I18N)/messages.pot --output-file $$po \
			--locale $$(basename $$po .po) --ignore-obsolete --width 100 || exit 1; \
	done
