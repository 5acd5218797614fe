# The README's two commands: `make demo` and `make test`. Both create the environment
# when it is missing and are quick when it is already there.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-deps

.PHONY: demo test setup clean-venv

setup: $(STAMP) $(SYSSTAMP)

$(SYSSTAMP): scripts/system-deps.sh
	@bash scripts/system-deps.sh
	@mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@# torch first, from the local CPU wheel, so nothing pulls a CUDA build
	@$(PY) -m pip install -q torch==2.13.0
	@$(PY) -m pip install -q -e '.[speech,dev]'
	@touch $@

demo: setup
	@$(VENV)/bin/vasim demo

test: setup
	@$(PY) -m pytest -q

clean-venv:
	rm -rf $(VENV)
