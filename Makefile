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

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the shop with its development tools

setup: install ## Install, migrate, create development keys and seed demo data
	$(FLASK) schema upgrade
	$(FLASK) seed

run: install ## Set everything up (migrate, keys, demo data) and serve on http://127.0.0.1:8000 (PORT overrides)
	PORT=$(PORT) bin/start

test: install ## Run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## ruff, mypy and import-linter
	$(BIN)/ruff check app tests bench deploy
	$(BIN)/mypy app
	$(BIN)/lint-imports

bench: install ## Run the benchmarks (gunicorn on loopback) and print the ratios
	$(BIN)/python -m bench

screenshots: install ## PNG of every shopper and admin page at 1280x800 and 390x844 in screenshots/ (needs chromium)
	$(BIN)/python -m tests.browser.screenshots

migration: install ## New migration for MODULE (platform|identity|catalog|ordering): make migration MODULE=identity M="what"
	$(FLASK) db migrate -d migrations/$(MODULE) -m "$(M)"

protos: install ## Regenerate the gRPC code in protos/generated from protos/*.proto
	$(BIN)/python protos/generate.py

clean: ## Remove the virtual environment and local instance data
	rm -rf $(VENV) instance

.PHONY: help install setup run test lint bench migration protos clean screenshots
