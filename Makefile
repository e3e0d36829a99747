# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench clean console

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "pointsmall needs Python >= 3.11 (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Migrate, load demo data into an empty database, print tokens, serve GraphiQL.
run: $(INSTALLED)
	$(BIN)/pointsmall migrate
	$(BIN)/pointsmall seed-demo --if-empty
	@echo "\nGraphiQL: http://127.0.0.1:8000/graphql   ops console: http://127.0.0.1:8000/ops"
	$(BIN)/pointsmall serve --host 127.0.0.1 --port 8000

# The whole suite on the embedded backend (SQLite + in-process Redis), then again on
# PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set (always under CI).
test: $(INSTALLED)
	$(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL$$TEST_REDIS_URL" ] || [ "$$CI" = "true" ]; then \
		echo "== server pass: PostgreSQL $$TEST_DATABASE_URL, Redis $$TEST_REDIS_URL =="; \
		POINTSMALL_TEST_BACKEND=server $(BIN)/pytest; \
	fi

# The ops console (a development step: its build is committed, so `make run` needs no node).
console:
	cd console && npm ci --no-audit --no-fund && npm run build

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

bench: $(INSTALLED)
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/mall.py
	$(BIN)/python bench/engagement.py
	$(BIN)/python bench/notifications.py
	$(BIN)/python bench/expiry.py
	$(BIN)/python bench/audiences.py
	$(BIN)/python bench/console.py
	$(BIN)/python bench/ratios.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
