# The two set-up commands of the README: `make certify` (the main job) and `make test` (the tests).
# Both create .venv and install the project into it when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BEHAVE := $(PY) -m behave

NATIVE := $(VENV)/.native-stamp
NATIVE_SOURCES := $(wildcard simulator/*.py venue/*.py)  # what simulator.native's digest covers

.PHONY: test audit certify campaign bench lint report allure clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# The simulator's hot path compiled by mypyc from the same sources (see simulator/native.py). If the
# compiler fails, it says so and the pure-Python sources run.
$(NATIVE): $(STAMP) $(NATIVE_SOURCES)
	@SIMULATOR_PURE=1 $(PY) -c 'from simulator.native import build; build()'
	@touch $(NATIVE)

test: $(NATIVE)
	$(PY) -m ruff check .
	$(PY) -m pytest
	SIMULATOR_PURE=1 $(PY) -m pytest -q $(addprefix tests/test_,book.py book_properties.py replay.py \
	    exchange.py determinism.py faults_profiles.py gateway.py)
	$(BEHAVE) -f null --tags="not @slow and not @pending and not @verdict"

# The suite proves it can fail: plants each defect of audit/defects.py in a fresh process, runs the
# scenarios of the criteria it must turn red, writes reports/audit.json; fails if a defect survives.
audit: $(NATIVE)
	$(PY) -m audit

# The certification: the production day (harness.day) starts on the second core, then the whole
# suite (pending scenarios too: they show as not run; the day's scenarios wait for the day), then the
# scenarios that judge the finished run (@verdict), then python -m reports certify, whose exit code
# is the gate (0 only when approved). behave prints one progress line per feature: `-f null` names a
# formatter on the command line, without which behave 1.3 adds its verbose default to behave.ini's;
# the certification prints the counts and names what failed, so behave's own summary is left out.
CERTIFY_RUN = mkdir -p reports && { rm -rf reports/allure-results || true; } && \
	started=$$(date -u +%Y-%m-%dT%H:%M:%SZ) && \
	{ $(PY) -m harness.day --quiet > reports/day.log 2>&1 & } && \
	{ $(BEHAVE) -f null --no-snippets --no-summary --tags="not @verdict" || true; } && \
	{ $(BEHAVE) -f null --no-snippets --no-summary --tags=@verdict -D judge=reports/evidence.jsonl \
	    -D evidence=reports/verdict-evidence.jsonl features/phase4/certification.feature \
	    features/phase4/go_live.feature || true; } && \
	$(PY) -m reports certify --started $$started

certify: $(NATIVE)
	@$(CERTIFY_RUN)

# The certification's scenarios over SEEDS run seeds, each a task on a local Dask cluster (CLUSTER=
# tcp://host:port for a remote scheduler; CRITERIA="A B" for some criteria, PHASES="1 2" for those of
# the plan's phases 1 and 2; PROFILES="calm normal" for the scenarios naming those market profiles;
# FILTER="..." for another behave tag expression);
# writes reports/campaign.json and .md and reports/campaign-allure-results/ (see reports/campaign.py).
SEEDS ?= 20
campaign: $(NATIVE)
	$(PY) -m reports campaign --seeds $(SEEDS) $(if $(CLUSTER),--cluster $(CLUSTER)) \
	    $(if $(CRITERIA),--criteria $(CRITERIA)) $(if $(PHASES),--phases $(PHASES)) \
	    $(if $(PROFILES),--profiles $(PROFILES)) $(if $(FILTER),--filter "$(FILTER)")

bench: $(NATIVE)
	$(PY) bench/host.py
	$(PY) bench/bench_replay.py
	$(PY) bench/bench_marketdata.py
	$(PY) bench/bench_simulation.py
	$(PY) bench/bench_system.py
	$(PY) bench/bench_monitoring.py
	$(PY) bench/host.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The HTML report (Allure 3 from the npm package `allure`, pinned in package.json; Node.js is its one
# prerequisite): a fresh certification run into emptied results, then a report written anew.
# Node older than 22 gets reports/node20.mjs preloaded (the quality gate uses Iterator.toArray).
ALLURE := node --import ./reports/node20.mjs node_modules/allure/cli.js

report: $(NATIVE)
	@command -v node >/dev/null || { echo "make report needs Node.js 20 or later: apt-get install -y nodejs npm" \
	    "(Debian), or see https://nodejs.org; then run make report again"; exit 2; }
	@test -x node_modules/.bin/allure || npm ci --no-audit --no-fund
	@$(CERTIFY_RUN) || true
	@$(PY) -m reports allure-files reports/allure-results
	@rm -rf reports/allure-report
	@$(ALLURE) generate --config reports/allurerc.yaml --output reports/allure-report reports/allure-results
	@$(ALLURE) quality-gate --config reports/allurerc.yaml reports/allure-results \
	    || echo "Allure quality gate: failed or broken scenarios (see the report)"
	@echo "report: reports/allure-report/index.html"

allure: report

clean:
	rm -rf reports/allure-results reports/allure-report .pytest_cache build $(NATIVE)
	rm -f simulator/*.so simulator/_native.sha256
