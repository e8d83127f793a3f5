# Every target installs what it needs into .venv first (python3 ≥ 3.11 is the only requirement).
# .venv is made from the best Python 3.11+ on the machine (tools/make_venv.py), or from
# PYTHON when it is given (README "The interpreter").
SHELL := /bin/bash
PYTHON ?=
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test lint bench install clean

$(PY):
	python3 tools/make_venv.py $(VENV) $(if $(PYTHON),--python $(PYTHON))
	$(PY) -m pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(UV) pip install --quiet --python $(PY) -c constraints.txt -e '.[dev]'
	$(PY) tools/write_bytecode.py
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/custsync demo

test: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks tools
	$(VENV)/bin/ruff format --check src tests benchmarks tools
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy benchmarks tests tools
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/sync_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
