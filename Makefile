# `make run` and `make test` set themselves up: a virtual environment with the exact pins of
# requirements.txt, and (for the browser tests) Debian's chromium.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast lint demo bench clean-data chromium venv

# Served on this machine only (http://localhost:8501); see README, Deploying, to share it.
run: $(STAMP)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port 8501

# Three runs, so CI keeps within 40 minutes on two cores: the robustness suite (it runs its own
# two worker processes); every other test but the browser and benchmark ones on two workers
# (pytest-xdist, a file per worker, so a module's fixture is built once); then the browser and
# benchmark tests, which start servers and Chromium, one at a time.
test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest tests/test_robustness.py
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser and not bench" \
		--ignore=tests/test_robustness.py
	$(BIN)/python -m pytest -m "browser or bench" --ignore=tests/test_robustness.py

# The inner loop: lint and every test but the browser, the benchmark and the slow suites
# (robustness, kill -9), on two worker processes (pytest-xdist). `make test` runs them all;
# CI runs `make test`.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 -m "not browser and not bench and not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

venv: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Handoff needs Python 3.11+"'
	@if ! $(PYTHON) -m venv --help >/dev/null 2>&1 || ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

demo: $(STAMP)
	$(BIN)/python -m handoff demo --out demo-data

# The benchmark at 1 and 10 million leads (about 40 minutes, 70 GB of scratch space in
# bench-data/): writes bench/results.md and bench/results.json.
bench: $(STAMP) chromium
	$(BIN)/python bench/run.py

clean-data:
	rm -f data/handoff.duckdb data/handoff.duckdb.wal data/handoff.rejects.csv data/handoff.duckdb.lock
