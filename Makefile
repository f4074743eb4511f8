# The two commands of the README's quick start:
#   make build   set up .venv with the main job's pinned dependencies only (requirements.txt), build and
#                test the sample data in a copy, then publish it atomically (risk_segmentation.duckdb and
#                parquet/), write the segment report (report.html) and the dbt docs site (docs.html)
#   make test    add the test set to .venv (requirements-dev.txt: Postgres and Spark adapters, linters,
#                pytest, the benchmark's alternatives), then every check: lint, dbt build with all tests, pytest
# requirements-lock.txt pins both sets. .venv is made with the newest of python3.13/3.12/3.11 that runs,
# or PYTHON=...; it keeps that Python until removed (rm -rf .venv).
# CI (.ci/run) runs `make test` and nothing else.

# The pinned packages support Python 3.11 to 3.13 (duckdb 2.0.0, numpy 2.4 and pyarrow 26 have no
# 3.10 build). A name on PATH must also run: pyenv's shim of an unselected version fails.
SUPPORTED_PYTHONS := python3.13 python3.12 python3.11
PYTHON_IN_RANGE := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))
PYTHON ?= $(firstword $(foreach python,$(SUPPORTED_PYTHONS),$(shell $(python) -c '$(PYTHON_IN_RANGE)' >/dev/null 2>&1 && echo $(python))))
VENV := .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)/profiles
# Convenience for the README commands: RAW_DATA_DIR=/data/shop make build
RAW_DATA_DIR ?=
DBT_VARS := $(if $(RAW_DATA_DIR),--vars '{raw_data_dir: "$(RAW_DATA_DIR)"}',)

.PHONY: build test lint dbt-test pytest sample clean
# A venv whose creation failed half way is made again next time.
.DELETE_ON_ERROR:

# The venv: made once; a new one is newer than the stamps below, so everything is installed again.
$(VENV)/pyvenv.cfg:
	$(if $(PYTHON),,$(error No Python 3.11 to 3.13 runs here (tried $(SUPPORTED_PYTHONS)): install one or name it with PYTHON=/path/to/python3.x))
	@$(PYTHON) -c '$(PYTHON_IN_RANGE)' || { echo "$(PYTHON) is not Python 3.11 to 3.13, which the pinned packages need: choose one with PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The main job's set, then the test set on top of it: one stamp each.
$(VENV)/.installed: $(VENV)/pyvenv.cfg requirements.txt requirements-lock.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt -c requirements-lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -c requirements-lock.txt
	touch $@

build: $(VENV)/.installed
	$(BIN)/risk-segmentation publish -- $(DBT_VARS)
	$(BIN)/risk-segmentation report --out report.html
	@# The dbt docs site as one file that opens offline, from the builder's database (every schema).
	RISK_SEGMENTATION_DUCKDB_PATH=risk_segmentation.builder.duckdb $(BIN)/dbt --quiet docs generate --static \
		--target-path target/docs $(DBT_VARS)
	cp target/docs/static_index.html docs.html

test: lint dbt-test pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests/python benchmarks
	$(BIN)/ruff format --check src tests/python benchmarks
	$(BIN)/sqlfluff lint models macros tests analyses

# A build with every data and unit test, into its own file so the main job's stays intact.
dbt-test: $(VENV)/.installed-test
	RISK_SEGMENTATION_DUCKDB_PATH=target/test.duckdb $(BIN)/dbt build --target-path target/test

pytest: $(VENV)/.installed-test
	$(BIN)/pytest

# Regenerate the shipped sample seeds (same seed, same bytes).
sample: $(VENV)/.installed
	$(BIN)/risk-segmentation generate --customers 3000 --seed 42 --out seeds/sample --prefix raw_

clean:
	rm -rf target logs docs.html risk_segmentation.duckdb risk_segmentation.*.duckdb risk_segmentation.*.duckdb.* parquet parquet.* report.html
