# Every target installs what it needs into .venv first (python3 ≥ 3.11 is the only requirement).
# PYTHON chooses the interpreter the environment is made from (README "The interpreter").
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test lint bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(UV) pip install --quiet --python $(PY) -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/custsync demo

test: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy benchmarks tests
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/sync_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
