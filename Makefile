# Two entry points: `make run` (the app on the demo data) and `make test` (the whole suite).
# Both create .venv with the pinned requirements on first use; `make test` also installs
# Debian's Chromium for the browser tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PORT   ?= 8501

.PHONY: run test chromium bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.app

run: $(VENV)/.app
	$(BIN)/streamlit run serve.py --server.port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

test: $(VENV)/.dev chromium
	$(BIN)/python -m pytest

bench: $(VENV)/.dev chromium
	$(BIN)/python -m cxdata.bench

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
