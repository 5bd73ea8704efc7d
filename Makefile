# Two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format typecheck pytest node-deps bench package clean

# Node packages the tests compare against (Segment's oracle, @segment/analytics-node), installed from
# the npm registry before the tests run so that no test reaches beyond loopback. Best effort: without
# node/npm those tests skip and say why. The Segment oracle is an optional team tool beside the checkout
# (CONTRIBUTING.md, "The Segment oracle (optional)").
NODE_TEST_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pipedrive-gui-tests/analytics-node
# analytics.js in headless Chromium (tests/browser): @segment/analytics-next, esbuild and playwright-core
# at the versions pinned in tests/browser/package-lock.json; reinstalled when the lock file changes.
BROWSER_TEST_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pipedrive-gui-tests/browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pipedrive-gui --demo

# What ruff lints and formats.
LINT_PATHS := pipedrive_gui tests benchmarks packaging tools
# `ruff format --check` in `make lint` (the whole tree was formatted once; `make format` fixes a file).
FORMAT_CHECK ?= 1

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/lint-imports --no-logo
ifeq ($(FORMAT_CHECK),1)
	$(BIN)/ruff format --check $(LINT_PATHS)
endif

# Rewrites files in place with the settings in pyproject.toml ([tool.ruff.format]).
format: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy tests/gui

node-deps:
	-@if command -v node >/dev/null && command -v npm >/dev/null; then \
	  bash ../shared/tools/segment-oracle/run.sh < /dev/null >/dev/null 2>&1 || echo "segment oracle not installed: its tests will skip"; \
	  [ -d "$(NODE_TEST_CACHE)/node_modules/@segment/analytics-node" ] || \
	    npm install --silent --no-audit --no-fund --prefix "$(NODE_TEST_CACHE)" @segment/analytics-node@3 >/dev/null 2>&1 || \
	    echo "@segment/analytics-node not installed: its test will skip"; \
	  if ! cmp -s tests/browser/package-lock.json "$(BROWSER_TEST_CACHE)/package-lock.json" || \
	     [ ! -d "$(BROWSER_TEST_CACHE)/node_modules/playwright-core" ]; then \
	    mkdir -p "$(BROWSER_TEST_CACHE)" && \
	    cp tests/browser/package.json tests/browser/package-lock.json "$(BROWSER_TEST_CACHE)/" && \
	    npm ci --silent --no-audit --no-fund --prefix "$(BROWSER_TEST_CACHE)" >/dev/null 2>&1 || \
	    echo "analytics.js browser test packages not installed: tests/browser will skip"; \
	  fi; \
	else echo "node/npm missing: the tests that compare with Segment's JavaScript will skip"; fi

# Line coverage of the whole suite, checked against the floors in tools/coverage_floors.py (figures
# printed after the tests, also when some fail). A partial run (PYTEST_ARGS=tests/core) misses the
# floors by design: add COVERAGE=0.
COVERAGE ?= 1
ifeq ($(COVERAGE),1)
COV_ARGS := --cov --cov-report=json --cov-report=
endif

pytest: $(STAMP) node-deps
ifeq ($(COVERAGE),1)
	@rm -f coverage.json
	status=0; $(BIN)/python -m pytest -q $(COV_ARGS) $(PYTEST_ARGS) || status=$$?; \
	$(BIN)/python tools/coverage_floors.py coverage.json || [ $$status -ne 0 ] || status=1; \
	exit $$status
else
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
endif

test: lint typecheck pytest

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

package: $(STAMP)
	$(BIN)/python -m pip install --quiet '.[package]'
	bash packaging/build.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache .coverage coverage.json
