# The whole set-up on a fresh machine:
#   make demo   create .venv, install, migrate the example project (SQLite), seed, serve
#               (with the task worker that applies webhook deliveries beside the server)
#   make test   create .venv, install, run the suite on SQLite, then on PostgreSQL
#   make docs   build the documentation into docs/_build/html (warnings are errors)
#   make dist   build the sdist and wheel into dist/ and check them (twine, sdist tests)
#   make reliability  the reliability suite (reliability/, needs PostgreSQL): carepay
#               served by gunicorn, stormed with webhooks in sync and task mode
# `install` also runs `npm ci` when npm is there: axe-core, which the browser tests use
# to scan every page for accessibility problems (skipped without it, failed with CI=true).
# PostgreSQL is used when reachable at $(PG_HOST):$(PG_PORT); with CI=true an
# unreachable PostgreSQL fails the run instead of being skipped.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Where `make demo` serves, for the links in e-mails sent outside a request
# (seed_demo's receipts, reminders): the example project reads CAREPAY_DEMO_BASE_URL.
DEMO_BASE_URL ?= http://127.0.0.1:$(PORT)
DEMO_ENV = CAREPAY_DEMO_BASE_URL=$(DEMO_BASE_URL)
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_USER ?= postgres
PG_URL ?= postgres://$(PG_USER)@$(PG_HOST):$(PG_PORT)/carepay
PYTEST_ARGS ?=
NPM ?= npm

.PHONY: demo test test-sqlite test-postgres lint typecheck migrations-check install clean \
	docs dist reliability

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[stripe,pdf,iban,api,tasks]" --group dev
	touch $@

node_modules/.installed: package.json package-lock.json
	@if command -v $(NPM) >/dev/null 2>&1; then \
		$(NPM) ci --silent --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: axe-core is not installed, so the browser tests' accessibility scans will be skipped (failed with CI=true)."; \
	fi

install: $(VENV)/.installed node_modules/.installed

demo: install
	cd example_project && ../$(BIN)/python manage.py migrate --noinput
	cd example_project && $(DEMO_ENV) ../$(BIN)/python manage.py seed_demo
	@# The task worker applies webhook deliveries (CAREPAY["WEBHOOK_PROCESSING"] = "task");
	@# it runs beside the server and stops with it.
	cd example_project && { $(DEMO_ENV) ../$(BIN)/python manage.py db_worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(DEMO_ENV) ../$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); }

test: install migrations-check test-sqlite test-postgres

test-sqlite: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	@if $(BIN)/python scripts/pg_ready.py "$(PG_URL)"; then \
		echo "== PostgreSQL at $(PG_HOST):$(PG_PORT) =="; \
		DATABASE_URL="$(PG_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS) && \
		echo "== the money paths again, with Django's server-side parameter binding ==" && \
		SERVER_SIDE_BINDING=1 DATABASE_URL="$(PG_URL)" $(BIN)/python -m pytest -q \
			tests/backends tests/services tests/tasks; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_HOST):$(PG_PORT) is unreachable and CI=true: failing." >&2; \
		exit 1; \
	else \
		echo "== PostgreSQL at $(PG_HOST):$(PG_PORT) is unreachable: skipped (set CI=true to fail) =="; \
	fi

migrations-check: install
	cd example_project && ../$(BIN)/python manage.py makemigrations --check --dry-run

# -E: a fresh build every time, so a warning on an unchanged page is never hidden.
docs: install
	$(BIN)/python -m sphinx -E -W --keep-going -q -b html docs docs/_build/html

dist: install
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*
	$(BIN)/python scripts/check_sdist.py dist

# The reliability suite (docs/operations.md), not part of `make test`: real gunicorn,
# PostgreSQL and localstripe, minutes each; throw-away databases on $(PG_HOST):$(PG_PORT).
# One command a line; each exits 1 on a broken invariant.
RELIABILITY_DB_URL ?= postgres://$(PG_USER)@$(PG_HOST):$(PG_PORT)/carepay_faults
reliability: install
	$(BIN)/python reliability/storm.py --mode sync --database-url "$(PG_URL)"
	$(BIN)/python reliability/storm.py --mode task --database-url "$(PG_URL)"
	$(BIN)/python reliability/faults.py --database-url "$(RELIABILITY_DB_URL)"
	$(BIN)/python reliability/fuzz.py --database-url "$(RELIABILITY_DB_URL)"

lint: install
	$(BIN)/python -m ruff check src tests example_project benchmarks scripts reliability
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .tox dist docs/_build
