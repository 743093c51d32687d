# ssot-runtime: `make help` lists the targets.
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs
RELEASE_STAMP := $(VENV)/.installed-release

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,otlp,servers]'
	touch $(STAMP)

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

$(RELEASE_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[release]'
	touch $(RELEASE_STAMP)

.PHONY: help venv demo test test-all test-others test-lowest lint typecheck bench bench-all bench-instructions docs docs-serve cli-docs package clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install the project with its dev, otlp and servers extras

demo: $(STAMP) ## Run the bundled chat demo under the hook, then print the report, the plan and the audit, and write the HTML report
	rm -rf .ssot-runtime/demo
	cd sitecustomize_example && ../$(VENV)/bin/ssot-runtime run --config ssot-runtime.toml \
		--output ../.ssot-runtime/demo -- ../$(PY) main.py
	$(VENV)/bin/ssot-runtime report .ssot-runtime/demo --root sitecustomize_example
	$(VENV)/bin/ssot-runtime plan .ssot-runtime/demo --root sitecustomize_example \
		--config sitecustomize_example/ssot-runtime.toml --batch-size 2
	$(VENV)/bin/ssot-runtime audit sitecustomize_example/chat --traces .ssot-runtime/demo \
		--root sitecustomize_example --config sitecustomize_example/ssot-runtime.toml
	$(VENV)/bin/ssot-runtime audit sitecustomize_example/chat --traces .ssot-runtime/demo \
		--root sitecustomize_example --config sitecustomize_example/ssot-runtime.toml \
		--format json --output .ssot-runtime/demo-audit.json
	$(VENV)/bin/ssot-runtime report .ssot-runtime/demo --root sitecustomize_example \
		--config sitecustomize_example/ssot-runtime.toml --format html --output .ssot-runtime/demo-report.html \
		--audit .ssot-runtime/demo-audit.json

test: $(STAMP) ## Run the test suite
	$(PY) -m pytest

test-all: $(STAMP) ## Run the suite on every supported Python (3.10-3.13; venvs kept in .nox)
	$(VENV)/bin/nox

test-others: $(STAMP) ## Run the suite on the supported Pythons other than the default one (CI runs it after make test)
	$(VENV)/bin/nox -s $$($(PY) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; print(" ".join(f"tests-3.{m}" for m in range(10, 14) if f"3.{m}" != v))')

test-lowest: $(STAMP) ## Run the suite with the lowest version of every dependency pyproject.toml allows (3.10; CI runs it)
	$(VENV)/bin/nox -s lowest

lint: $(STAMP) ## ruff on src and tests
	$(VENV)/bin/ruff check src tests

typecheck: $(STAMP) ## mypy --strict on src
	$(VENV)/bin/mypy

bench: $(STAMP) ## Every benchmark row on the default Python -> benchmarks/results/py3.X.json
	$(PY) benchmarks/run.py

bench-all: $(STAMP) ## Every benchmark row on each supported Python (the test matrix's venvs), one file per version
	$(VENV)/bin/nox --install-only
	for v in 3.10 3.11 3.12 3.13; do $(PY) benchmarks/run.py --python .nox/tests-$$(echo $$v | tr . -)/bin/python || exit 1; done

bench-instructions: $(STAMP) ## The hook rows as instruction counts under valgrind (repeatable on a noisy machine)
	$(PY) benchmarks/instructions.py

# NO_MKDOCS_2_WARNING: the material theme's banner about its end of life (May 2027), printed on every build.
docs: $(DOCS_STAMP) ## Build the documentation site into site/ (mkdocs --strict: a broken link or a page not in nav fails)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs-serve: $(DOCS_STAMP) ## Serve the documentation site on http://127.0.0.1:8000, rebuilt on every change
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

cli-docs: $(STAMP) ## Regenerate docs/cli-reference.md from the typer app (a test fails when it is stale)
	$(PY) tools/cli_reference.py --output docs/cli-reference.md

package: $(RELEASE_STAMP) ## Build the sdist and the wheel into dist/, twine check, install the wheel into a clean venv and run it
	tools/check_package.sh $(PY)

clean: ## Remove the virtualenv, caches and built files
	rm -rf $(VENV) .nox .pytest_cache .mypy_cache .ruff_cache .hypothesis site dist build
