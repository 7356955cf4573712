# The two set-up commands of the README: `make certify` (the main job) and `make test` (the tests).
# Both create .venv and install the project into it when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BEHAVE := $(PY) -m behave

.PHONY: test certify bench lint allure clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest
	$(BEHAVE) --tags="not @slow"

certify: $(STAMP)
	@mkdir -p reports
	@rm -rf reports/allure-results
	@status=0; $(BEHAVE) || status=$$?; \
	    $(PY) -m reports.summary reports/evidence.jsonl --behave-status $$status

bench: $(STAMP)
	$(PY) bench/bench_replay.py
	$(PY) bench/bench_marketdata.py
	$(PY) bench/bench_simulation.py
	$(PY) bench/bench_system.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The HTML report, from the npm package `allure` (v3, no Java needed).
allure:
	npx --yes allure@3 generate reports/allure-results --output reports/allure-report
	@echo "open reports/allure-report/index.html"

clean:
	rm -rf reports/allure-results reports/allure-report .pytest_cache
