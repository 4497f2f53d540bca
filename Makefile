# Needs: Python 3.12 (python3.12 on PATH, pyenv's 3.12.x, or PYTHON=/path/to/python3.12),
# and for the end-to-end tests Node.js 20+ with npm and Chromium (/usr/bin/chromium).
SHELL := /bin/bash
PY := $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .sam-venv
SAM := $(SAM_VENV)/bin/sam
PORT ?= 3000
export SAM_CLI_TELEMETRY := 0

.PHONY: help venv dev demo test web-test lint format registry registry-check build validate bench openapi providers-doc scan bandit audit smoke clean

help:
	@echo "make dev        run the API locally on http://127.0.0.1:$(PORT) (no AWS account, no Docker)"
	@echo "make demo       make dev with a real OpenID provider beside it, its app saved (needs Node.js 20+)"
	@echo "make test       run every test this machine can run (unit, integration, e2e, browser)"
	@echo "make web-test   clients/web (<byoc-connect>, typed client): npm ci && npm test (node:test, tsc --strict)"
	@echo "make lint       ruff + mypy + size and complexity limits;  make format  ruff format"
	@echo "make registry   validate providers.json and write the registry.compiled.json the layer loads"
	@echo "make validate   cfn-lint + sam validate on template.yaml;  make build  make registry + sam build"
	@echo "make bench      benchmarks (docs/performance.md)"
	@echo "make scan       bandit + pip-audit (make bandit, make audit);  make smoke API_URL=... TOKEN=...  against a deployed stack"

$(BIN)/python:
	@test -n "$(PY)" || { echo "Python 3.12 not found: see scripts/find-python"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

$(SAM_VENV)/.installed: requirements-sam.txt
	@test -n "$(PY)" || { echo "Python 3.12 not found: see scripts/find-python"; exit 1; }
	test -x $(SAM_VENV)/bin/python || $(PY) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q -r requirements-sam.txt
	touch $@

dev: $(VENV)/.installed
	PORT=$(PORT) $(BIN)/python -m devserver

demo: $(VENV)/.installed
	PORT=$(PORT) $(BIN)/python -m devserver.demo

test: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-tests

# The web component and the typed client (clients/web, docs/connect-component.md): its unit tests
# (node:test), tsc --strict on the usage example, and src/api.d.ts current with docs/openapi.json.
web-test:
	cd clients/web && npm ci --no-audit --no-fund --loglevel=error && npm test --silent

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/check_complexity.py

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: $(SAM_VENV)/.installed
	$(SAM_VENV)/bin/cfn-lint template.yaml
	AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --template-file template.yaml

# The provider registry: providers.json (edited by hand) validated by registry/schema.py and
# compiled to the registry.compiled.json that byoc.oauth.registry loads (docs/adding-a-provider.md).
registry: $(VENV)/.installed
	$(BIN)/python scripts/compile_registry.py

registry-check: $(VENV)/.installed
	$(BIN)/python scripts/compile_registry.py --check

# The layer loads only registry.compiled.json; sam build copies the whole layer folder, so the
# source providers.json is removed from the build (it would be 1 MB read by nothing).
# sam build ships sources only, and Lambda cannot write __pycache__ into /opt or
# /var/task, so every cold start would compile the layer again. Bytecode for the
# runtime's Python (3.12), checked by hash rather than mtime (zip keeps no exact
# mtimes; the code never changes after deploy), removes that (docs/performance.md).
build: registry $(SAM_VENV)/.installed
	PATH="$(dir $(PY)):$$PATH" $(SAM) build --template-file template.yaml
	rm -f .aws-sam/build/CommonLayer/python/byoc/oauth/providers.json
	$(PY) -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build

bench: $(VENV)/.installed $(SAM_VENV)/.installed
	$(BIN)/pip install -q -r bench/requirements.txt || echo "note: bench/requirements.txt not installed: the data-masking alternative is skipped" >&2
	$(BIN)/python -m bench

openapi: $(VENV)/.installed
	$(BIN)/python scripts/gen_openapi.py

providers-doc: $(VENV)/.installed
	$(BIN)/python scripts/gen_providers_doc.py

# bandit: no medium or high finding. pip-audit --strict: a package it could not look up fails the
# scan instead of passing unaudited (its PyPI service reads /pypi/<name>/<version>/json).
scan: bandit audit

bandit: $(VENV)/.installed
	$(BIN)/bandit -q -r layers functions devserver scripts -ll

# Needs PyPI's JSON API (or OSV): --strict fails rather than skip a package it could not look up.
audit: $(VENV)/.installed
	$(BIN)/pip-audit --strict -r layers/common/requirements.txt -r requirements-dev.txt --progress-spinner off

smoke: $(VENV)/.installed
	$(BIN)/python scripts/smoke.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
