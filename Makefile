# Two commands for a fresh machine: `make run` and `make test`. Everything else is a step of those.
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.synced
export UV_PYTHON_DOWNLOADS := never

.PHONY: run demo test lint typecheck unit integration system env clean bench

$(STAMP): pyproject.toml uv.lock $(wildcard shared/*/pyproject.toml services/*/pyproject.toml) ops/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install -q 'uv==0.13.9'
	$(UV) sync --frozen --inexact --compile-bytecode --python $(PY)
	@$(PY) -m compileall -q -j 2 shared services ops >/dev/null  # PYTHONDONTWRITEBYTECODE may be set: compile once, services start ~3x faster
	@touch $@

env: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ess up

demo: $(STAMP)  ## the same, with the living demo loaded (projects, networks, funding, reviews)
	$(VENV)/bin/ess up --demo

test: lint typecheck deps imports
	$(PY) -m pytest -q -ra --durations=15 tests

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy shared/contracts/src shared/core/src shared/views/src ops/src services/intake/src services/funding/src services/evaluation/src services/console/src

.PHONY: deps imports
imports: $(STAMP)  ## the import contracts in pyproject.toml (import-linter): which part may import which
	$(VENV)/bin/lint-imports --no-cache

deps: $(STAMP)  ## every distribution declares what it imports (deptry, per workspace member)
	$(PY) .ci/check_deps.py

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

system: $(STAMP)
	$(PY) -m pytest -q tests/system

bench: $(STAMP)  # bench/results.json and bench/results.md; under 10 minutes on 2 cores (see bench/__main__.py)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .ess .pytest_cache .mypy_cache .ruff_cache

.PHONY: docs
docs: $(STAMP)  ## the AsyncAPI and OpenAPI documents of every service, generated into docs/
	$(PY) -m ess_core.service.docs docs ess_intake.bootstrap:service ess_funding.bootstrap:service \
		ess_evaluation.bootstrap:service
	$(PY) -m ess_contracts.schema_export docs/contracts
