# The shop. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

LOCK := requirements/dev.txt
# uv resolves once for every Python 3.11.x and platform (markers kept), with every hash.
LOCK_CMD := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

# Exactly the locked versions, each checked against its hash; then the shop itself, editable,
# built with the locked setuptools (no build isolation: nothing unlocked is downloaded).
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the locked dependencies (requirements/dev.txt)

# make lock needs only uv, not the locked install (which fails while the lock is behind
# pyproject.toml, as it is right after a dependency is added).
$(BIN)/uv:
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.5,<1'

lock: $(BIN)/uv ## Re-resolve requirements/*.txt (with hashes) from pyproject.toml
	$(LOCK_CMD) $(LOCK_ARGS) -o requirements/runtime.txt pyproject.toml
	$(LOCK_CMD) $(LOCK_ARGS) --extra dev -c requirements/runtime.txt -o $(LOCK) pyproject.toml

setup: install ## Install, migrate, create development keys and seed demo data
	$(FLASK) schema upgrade
	$(FLASK) seed

run: install ## Set everything up (migrate, keys, demo data) and serve on http://127.0.0.1:8000 (PORT overrides)
	PORT=$(PORT) bin/start

test: install ## Run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## ruff, mypy, import-linter and bandit
	$(BIN)/ruff check app tests bench deploy
	$(BIN)/mypy app
	$(BIN)/lint-imports
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive app deploy bin

bench: install ## Run the benchmarks (gunicorn on loopback) and print the ratios
	$(BIN)/python -m bench

bench-quick: install ## Everyday subset: HTTP scenarios vs hello-world, 3 interleaved rounds (< 2 min)
	$(BIN)/python -m bench --quick

screenshots: install ## PNG of every shopper page at 1280x800 and 390x844 in screenshots/ (needs chromium)
	$(BIN)/python -m tests.browser.screenshots

migration: install ## New migration for MODULE (platform|identity|catalog|ordering): make migration MODULE=identity M="what"
	$(FLASK) db migrate -d migrations/$(MODULE) -m "$(M)"

protos: install ## Regenerate the gRPC code in protos/generated from protos/*.proto
	$(BIN)/python protos/generate.py

clean: ## Remove the virtual environment and local instance data
	rm -rf $(VENV) instance

.PHONY: help install lock setup run test lint bench bench-quick migration protos clean screenshots
