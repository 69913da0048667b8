# make run: install and serve the demo on SQLite.  make test: install and pass every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export BUYERGUARD_DATA_DIR ?= data

.PHONY: default run test lint typecheck unit postgres docs fmt bench-risk clean
default: test

$(BIN)/buyerguard: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/buyerguard
	$(BIN)/buyerguard init
	$(BIN)/buyerguard demo
	$(BIN)/buyerguard serve

test: lint typecheck unit postgres

lint: $(BIN)/buyerguard
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/buyerguard
	$(BIN)/mypy

unit: $(BIN)/buyerguard
	$(BIN)/pytest -q

# The same suite against PostgreSQL. Under CI=true a server that cannot be reached fails the run.
postgres: $(BIN)/buyerguard
	@if $(BIN)/python -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('+psycopg', ''), connect_timeout=3).close()" "$(PG_URL)" 2>/dev/null; then \
		BUYERGUARD_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest -q; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) is not reachable: failing, as CI must test it" >&2; exit 1; \
	else \
		echo "PostgreSQL at $(PG_URL) is not reachable: its run is skipped here (CI fails instead)" >&2; \
	fi

docs: $(BIN)/buyerguard
	BUYERGUARD_UPDATE_DOCS=1 $(BIN)/pytest -q tests/test_docs.py

fmt: $(BIN)/buyerguard
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-risk: $(BIN)/buyerguard
	$(BIN)/python bench/evaluate_risk.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
