# make demo | make test | make bench  -- each bootstraps .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Prefect keeps its state inside the project, never in the user's home.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 90
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export MPLCONFIGDIR := $(CURDIR)/.prefect/matplotlib

.PHONY: demo serve test bench bench-scale lint clean chromium notebook

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/papertrends refresh --sample
	$(BIN)/papertrends status

# Jupyter for notebooks/explore.ipynb (the `notebook` extra) and the demo warehouse it reads, if there is none yet;
# then `.venv/bin/jupyter execute notebooks/explore.ipynb` (or `.venv/bin/jupyter lab`) from here or notebooks/.
$(VENV)/.installed-notebook: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebook]'
	touch $(VENV)/.installed $@

notebook: $(VENV)/.installed-notebook
	test -e data/warehouse.duckdb || $(BIN)/papertrends refresh --sample

# The refresh flow on the sample every minute, with a Prefect server of its own (Ctrl-C stops both).
CRON ?= * * * * *
serve: $(VENV)/.installed
	$(BIN)/papertrends serve --sample --cron '$(CRON)'

# The report tests drive report.html in headless Chromium. As root with apt-get it is installed
# here; anywhere else make test stops before the suite with one line saying what to install.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make test: installing Chromium (apt-get) for the report tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make test: the report tests need Chromium: install it (Debian/Ubuntu: sudo apt-get install chromium) and run make test again" >&2; exit 1; fi; }

# The whole suite, spread over worker processes (pytest-xdist): most tests wait on child
# processes and loopback servers, so three workers keep two cores busy.
TEST_WORKERS ?= 3
test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Every benchmark at its default size, offline, one after another; each writes its figures into
# bench/BENCHMARKS.md. One that needs what is not here (corpus snapshots) says so and is skipped.
bench: $(VENV)/.installed
	$(BIN)/python bench/run_all.py

# The big sizes (the 200,000-repository scale simulation, the full-size archive): hours.
bench-scale: $(VENV)/.installed
	$(BIN)/python bench/run_all.py --scale

lint: $(VENV)/.installed-test
	$(BIN)/ruff check flows analysis tests bench

clean:
	rm -rf $(VENV) .prefect data/warehouse.duckdb data/parquet data/reports
