# The two commands: `make run` (the demo, end to end) and `make test` (the whole suite).
# Both create .venv from the pinned requirements on first use: requirements.txt (what the
# pipeline runs with, as in the Docker image) plus requirements-dev.txt (test and lint tools).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV_PIN := uv==0.13.10
REQS   := -r requirements.txt -r requirements-dev.txt

.PHONY: run test install lint bench clean ui

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv (a pinned wheel from PyPI) installs the pins several times faster than pip;
	@# when it cannot be had, pip installs the same pins.
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check "$(UV_PIN)" 2>/dev/null \
	    && $(BIN)/uv pip install --quiet --python $(BIN)/python $(REQS); then \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e . ; \
	else \
	  echo "uv unavailable: installing with pip"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check $(REQS) && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . ; \
	fi
	@# Bytecode compiled once, here: uv does not compile by default, and with
	@# PYTHONDONTWRITEBYTECODE set (as on these machines) every Airflow command and every
	@# task process would compile Airflow, pandas and pyarrow from source again at each
	@# start (measured: importing airflow.sdk 4.6 s CPU without, 1.5 s with).
	@$(BIN)/python -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null || true
	@touch $(STAMP)

run: $(STAMP)
	bash scripts/run-demo.sh

ui: $(STAMP)
	bash scripts/run-ui.sh

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check dags include plugins tests bench examples scripts
	$(BIN)/ruff check dags --select AIR

bench: $(STAMP)
	$(BIN)/python bench/geo.py
	$(BIN)/python bench/dedup.py
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/extraction.py ../shared/data/extraction-dev

clean:
	rm -rf .airflow .demo data
