# The two set-up commands of the README: `make certify` (the main job) and `make test` (the tests).
# Both create .venv and install the project into it when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BEHAVE := $(PY) -m behave

NATIVE := $(VENV)/.native-stamp
NATIVE_SOURCES := $(wildcard simulator/*.py venue/*.py)  # what simulator.native's digest covers

.PHONY: test audit certify bench lint allure clean

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
	$(BEHAVE) --tags="not @slow"

# The suite proves it can fail: plants each defect of audit/defects.py in a fresh process, runs the
# scenarios of the criteria it must turn red, writes reports/audit.json; fails if a defect survives.
audit: $(NATIVE)
	$(PY) -m audit

certify: $(NATIVE)
	@mkdir -p reports
	@rm -rf reports/allure-results
	@status=0; $(BEHAVE) || status=$$?; \
	    $(PY) -m reports.summary reports/evidence.jsonl --behave-status $$status

bench: $(NATIVE)
	$(PY) bench/host.py
	$(PY) bench/bench_replay.py
	$(PY) bench/bench_marketdata.py
	$(PY) bench/bench_simulation.py
	$(PY) bench/bench_system.py
	$(PY) bench/host.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The HTML report, from the npm package `allure` (v3, no Java needed).
allure:
	npx --yes allure@3 generate reports/allure-results --output reports/allure-report
	@echo "open reports/allure-report/index.html"

clean:
	rm -rf reports/allure-results reports/allure-report .pytest_cache build $(NATIVE)
	rm -f simulator/*.so simulator/_native.sha256
