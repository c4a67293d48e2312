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

.PHONY: demo serve test bench lint clean notebook

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

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check flows analysis tests bench

clean:
	rm -rf $(VENV) .prefect data/warehouse.duckdb data/parquet data/reports
