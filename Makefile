# Frisk: two commands. `make run` runs the whole nightly pipeline on demo data; `make test` runs the test suite.
# Both start from nothing: they create .venv from the committed lock (requirements.lock) when it is missing or
# the lock changed, and reuse it otherwise.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.frisk-installed
PYTEST_ARGS ?=

.PHONY: run test lint bench docs airflow stop down clean venv system-deps

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@echo "==> creating $(VENV) from requirements.lock"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip uv
	@$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)
	@echo "==> $(VENV) ready"

# Debian packages some tests need (headless Chromium for the Airflow UI test). Installed when missing and root.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then echo "==> installing chromium (Debian)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "!! chromium could not be installed; the UI test will be skipped"; \
	  else echo "!! chromium missing and not root; the UI test will be skipped"; fi; }

run: venv
	@$(BIN)/frisk run

test: venv system-deps
	@$(BIN)/ruff check plugins dags tests bench deploy
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	@$(BIN)/ruff check plugins dags tests bench deploy

bench: venv
	@$(BIN)/python -m bench.run

docs: venv
	@$(BIN)/frisk docs --serve

airflow: venv
	@$(BIN)/frisk airflow start

stop: venv
	@$(BIN)/frisk airflow stop

down: venv
	@$(BIN)/frisk down

clean:
	rm -rf .frisk data dbt_project/target dbt_project/logs expectations/gx/uncommitted
