# Developer entry points. A fresh machine needs only python3 (3.11+), make and a C compiler:
# when uv is not on PATH it is installed into .tools/ on first use.

.DEFAULT_GOAL := help
SHELL := /bin/sh

UV_VERSION := 0.13.9
TOOLS_UV := .tools/bin/uv
UV ?= $(or $(shell command -v uv 2>/dev/null),$(TOOLS_UV))
# Installed once per change of pyproject.toml or uv.lock; later targets skip uv's own check.
# Serving needs only the runtime dependencies; tests, linters and benchmarks need the dev group
# too. The serving install is inexact (it removes nothing), so neither undoes the other.
SERVE_INSTALLED := .venv/.installed-serve
DEV_INSTALLED := .venv/.installed-dev
RUN := $(UV) run --frozen --no-sync
PYTEST_ARGS ?=

.PHONY: help install run test lint format schema migrate demo bench bench-scale clean clean-data

help: ## list the targets
	@echo "Usage: make TARGET   (settings come from the environment or .env; see .env.example)"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(DEV_INSTALLED) ## install the locked dependencies, dev tools included, into .venv

$(SERVE_INSTALLED): pyproject.toml uv.lock | $(filter $(TOOLS_UV),$(UV))
	$(UV) sync --frozen --no-dev --inexact
	@touch $@

$(DEV_INSTALLED): pyproject.toml uv.lock | $(filter $(TOOLS_UV),$(UV))
	$(UV) sync --frozen
	@touch $@

$(TOOLS_UV):
	python3 -m venv .tools
	.tools/bin/pip install -q uv==$(UV_VERSION)

run: $(SERVE_INSTALLED) ## serve the API (zero-setup: embedded PostgreSQL and demo data unless DATABASE_URL)
	$(RUN) certready serve

test: install ## run the tests (extra pytest arguments: PYTEST_ARGS="-k name -x")
	$(RUN) pytest $(PYTEST_ARGS)

lint: install ## ruff (lint, format), mypy, hadolint (Dockerfile), shellcheck (.ci/run)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy backend tenants $(wildcard tests)
	$(RUN) hadolint infra/Dockerfile
	$(RUN) shellcheck .ci/run

format: install ## sort imports and format the code
	$(RUN) ruff check --select I --fix .
	$(RUN) ruff format .

schema: $(SERVE_INSTALLED) ## write graphql/schema.graphql from the code
	$(RUN) certready export-schema

migrate: $(SERVE_INSTALLED) ## migrate DATABASE_URL, or the embedded PostgreSQL
	$(RUN) certready migrate

demo: $(SERVE_INSTALLED) ## seed the demo organizations and accounts, and print their logins
	$(RUN) certready demo

clean: ## delete .venv, .tools and caches (keeps .data)
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find $(wildcard backend tenants tests) -name __pycache__ -type d -prune -exec rm -rf {} +

clean-data: ## delete .data: the embedded database and the development signing key
	@pid_file=.data/postgres/postmaster.pid; \
	if [ -f "$$pid_file" ] && kill -0 "$$(head -n 1 "$$pid_file")" 2>/dev/null; then \
		echo "embedded PostgreSQL is still running: stop certready first" >&2; exit 1; \
	fi
	rm -rf .data

bench: install ## throughput as ratios to hand-written baselines, RSS (BENCH_PORT, BENCH_BASELINE_PORT, BENCH_SECONDS, BENCH_PAIRS); evidence uploads; package ZIP memory
	$(RUN) python -m tests.bench.throughput
	$(RUN) python -m tests.bench.evidence
	$(RUN) python -m tests.bench.readiness
	$(RUN) python -m tests.bench.jobs
	$(RUN) python -m tests.bench.activity
	$(RUN) python -m tests.bench.packages

bench-scale: install ## latency of the dashboard, a 200-client portfolio and a recompute at 20 and 2,000 tenants (BENCH_SCALE_TENANTS, BENCH_SCALE_RUNS)
	$(RUN) python -m tests.bench.scale
