# The two commands of the README's quick start:
#   make build   set up .venv, install the pinned dependencies, build and test the sample data in a
#                copy, then publish it atomically (risk_segmentation.duckdb and parquet/) and write
#                the segment report (report.html)
#   make test    set up .venv, then every check: lint, dbt build with all tests, pytest
# CI (.ci/run) runs `make test` and nothing else.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)/profiles
# Convenience for the README commands: RAW_DATA_DIR=/data/shop make build
RAW_DATA_DIR ?=
DBT_VARS := $(if $(RAW_DATA_DIR),--vars '{raw_data_dir: "$(RAW_DATA_DIR)"}',)

.PHONY: build test lint dbt-test pytest sample clean

$(BIN)/.installed: requirements.txt requirements-lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c requirements-lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

build: $(BIN)/.installed
	$(BIN)/risk-segmentation publish -- $(DBT_VARS)
	$(BIN)/risk-segmentation report --out report.html

test: lint dbt-test pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests/python benchmarks
	$(BIN)/ruff format --check src tests/python benchmarks
	$(BIN)/sqlfluff lint models macros tests analyses

# A build with every data and unit test, into its own file so the main job's stays intact.
dbt-test: $(BIN)/.installed
	RISK_SEGMENTATION_DUCKDB_PATH=target/test.duckdb $(BIN)/dbt build --target-path target/test

pytest: $(BIN)/.installed
	$(BIN)/pytest

# Regenerate the shipped sample seeds (same seed, same bytes).
sample: $(BIN)/.installed
	$(BIN)/risk-segmentation generate --customers 3000 --seed 42 --out seeds/sample --prefix raw_

clean:
	rm -rf target logs risk_segmentation.duckdb risk_segmentation.*.duckdb risk_segmentation.*.duckdb.* parquet parquet.* report.html
