# The two commands of the README: `make demo` (install, then open the demo project in the GUI) and
# `make test` (install, then lint, type-check and run the whole test suite). .ci/run calls `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	bash scripts/system-deps.sh gui
	$(BIN)/reviewer demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy reviewer

test: $(STAMP)
	bash scripts/system-deps.sh test
	$(MAKE) --no-print-directory lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	bash scripts/system-deps.sh test
	$(BIN)/python bench/run.py ingest

# The wheel, the sdist and the one-folder app (PyInstaller), then the app's smoke test.
package:
	bash scripts/system-deps.sh test
	PYTHON=$(PYTHON) bash packaging/build.sh
	bash packaging/smoke.sh

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
