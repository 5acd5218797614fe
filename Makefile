# The README's two commands: `make demo` and `make test`. Both create the environment
# when it is missing and are quick when it is already there.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-deps

.PHONY: demo test test-fast test-real test-load lint format typecheck setup clean-venv

setup: $(STAMP) $(SYSSTAMP)

$(SYSSTAMP): scripts/system-deps.sh
	@bash scripts/system-deps.sh
	@mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@# torch first, from the local CPU wheel, so nothing pulls a CUDA build
	@$(PY) -m pip install -q torch==2.13.0
	@$(PY) -m pip install -q -e '.[speech,web,dev]'
	@touch $@

demo: setup
	@$(VENV)/bin/vasim demo

# One audio server per checkout: the suites of two clones running at once must not stop each other's.
export VASIM_PULSE_DIR ?= /tmp/vasim-pulse-$(shell id -u)-$(shell printf '%s' '$(CURDIR)' | cksum | cut -d' ' -f1)

# The headless PulseAudio server (null sink + monitor) is started for the suite and
# stopped afterwards, whatever the result; tests that need it also start it themselves.
test: setup
	@eval "$$(bash scripts/headless-audio.sh start)"; status=0; \
	$(PY) -m pytest -q || status=$$?; \
	bash scripts/headless-audio.sh stop; exit $$status

# While working: the tests with fakes only (no model, no sound server).
test-fast: setup
	@$(PY) -m pytest -q -m "not real"

# The real-model and real-device tests alone (what a busy machine can break).
test-real: setup
	@eval "$$(bash scripts/headless-audio.sh start)"; status=0; \
	$(PY) -m pytest -q -m real || status=$$?; \
	bash scripts/headless-audio.sh stop; exit $$status

# The real-model tests on a loaded machine: two CPU-busy processes run alongside, as on a
# laptop doing other work (DESIGN.md: the suite passes with two busy processes).
test-load: setup
	@bash scripts/with-load.sh 2 $(MAKE) --no-print-directory test-real

# Habits: `make format` rewrites; `make lint` and `make typecheck` only check (CI runs both).
lint: setup
	@$(VENV)/bin/ruff format --check simulator tests
	@$(VENV)/bin/ruff check simulator tests

format: setup
	@$(VENV)/bin/ruff format simulator tests
	@$(VENV)/bin/ruff check --fix simulator tests

typecheck: setup
	@$(VENV)/bin/mypy

clean-venv:
	rm -rf $(VENV)
