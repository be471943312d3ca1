# chargeplane — the two commands a newcomer needs are `make run` and `make test`.
# Both create .venv and install the pinned dependencies from requirements.lock first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv run test lint fmt proto proto-check crds lock bench clean help

help:
	@echo "make run    - start the all-in-one CSMS on embedded PostgreSQL + Redis"
	@echo "make test   - run the full test suite"
	@echo "make lint   - ruff, mypy --strict, import-linter, buf lint"
	@echo "make proto  - regenerate gRPC code from proto/"
	@echo "make crds   - regenerate the CRDs and plain manifests from operator/chargeplane/operator/crds.py"
	@echo "make bench  - run the benchmark suite (JSON + table)"
	@echo "make lock   - re-pin requirements.lock from pyproject.toml"

# Quiet on stdout (progress goes to stderr) so `make bench` prints nothing but its JSON.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@echo "setting up $(VENV) from requirements.lock" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)" >&2
	@$(BIN)/uv pip install --python $(BIN)/python -q -r requirements.lock >&2
	@$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e . >&2
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/chargeplane run $(ARGS)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/buf lint
	$(BIN)/python -m chargeplane.tools.protogen --check
	$(BIN)/python -m chargeplane.operator.crdgen --check
	$(BIN)/python -m chargeplane.operator.manifestgen --check

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

proto: venv
	$(BIN)/python -m chargeplane.tools.protogen

proto-check: venv
	$(BIN)/python -m chargeplane.tools.protogen --check

crds: venv
	$(BIN)/python -m chargeplane.operator.crdgen
	$(BIN)/python -m chargeplane.operator.manifestgen

bench: venv
	@$(BIN)/python -m bench $(ARGS)

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements.lock

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
