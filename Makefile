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

# The headless PulseAudio server (null sink + monitor) is started for the suite and
# stopped afterwards, whatever the result; tests that need it also start it themselves.
test: setup
	@eval "$$(bash scripts/headless-audio.sh start)"; status=0; \
	$(PY) -m pytest -q || status=$$?; \
	bash scripts/headless-audio.sh stop; exit $$status

clean-venv:
	rm -rf $(VENV)
