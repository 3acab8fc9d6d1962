# xrollup: `make devnet` starts the devnet, `make test` runs the tests; both install what they need.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: devnet test lint contracts bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

devnet: $(STAMP)
	$(VENV)/bin/xrollup $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy chains shared_sequencer settlement rpc node backend xrollup bridge_contracts

contracts: $(STAMP)
	$(PY) bridge_contracts/build.py

bench: $(STAMP)
	$(PY) scripts/bench_rpc.py

clean:
	rm -rf $(VENV) build *.egg-info
