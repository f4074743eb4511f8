"""Shared fixtures: generated raw data and a helper that runs dbt in a scratch folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from risk_segmentation.generator import GeneratorConfig, write

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).with_name("dbt"))


# The longest modules, longest first, as a full run's --durations measured them (DECISIONS.md, Spark).
# pytest-xdist hands out whole modules in collection order: a long one handed out last runs alone at the end.
LONGEST_MODULES = (
    "test_spark.py",
    "test_incremental.py",
    "test_documented_workflow.py",
    "test_hostile_input.py",
    "test_load_batches.py",
    "test_publish.py",
    "test_package.py",
    "test_independent_check.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first, the rest after them in their own order (the sort is stable)."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_MODULES.index(name) if name in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=rank)


# Unit tests read their given rows, not the data: `make dbt-test` runs every one (test_tuned_vars under
# tuned vars, test_postgres and test_spark on those engines). Builds that test the data leave them out.
NO_UNIT_TESTS = ("--exclude", "resource_type:unit_test")


@dataclass
class DbtResult:
    returncode: int
    output: str
    database: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            # Tests read staging too, not only the marts in main (dbt_project.yml, schemas).
            con.execute("set search_path = 'main,main_staging'")
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


@pytest.fixture
def run_dbt(tmp_path: Path):
    """Run a dbt command against the project, with its own database, target and log folders."""

    def run(*args: str, vars: dict | None = None, database: Path | None = None) -> DbtResult:
        database = database or tmp_path / "warehouse.duckdb"
        command = [DBT, *args, "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
        if vars:
            command += ["--vars", str(vars)]
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
            "RISK_SEGMENTATION_DUCKDB_PATH": str(database),
            "DBT_TARGET": "dev",
        }
        completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
        return DbtResult(completed.returncode, completed.stdout + completed.stderr, database)

    return run


@pytest.fixture(scope="session")
def generated_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw data of 2,000 customers with every kind of dirt, as CSV files."""
    folder = tmp_path_factory.mktemp("generated_csv")
    write(GeneratorConfig(customers=2000, seed=7), folder, "csv")
    return folder


@pytest.fixture(scope="session")
def generated_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same kind of data as Parquet files (another seed)."""
    folder = tmp_path_factory.mktemp("generated_parquet")
    write(GeneratorConfig(customers=2000, seed=8), folder, "parquet")
    return folder


def raw_row_count(path: Path) -> int:
    """Rows in a raw file, counted without dbt."""
    reader = f"read_csv('{path}', all_varchar = true)" if path.suffix == ".csv" else f"read_parquet('{path}')"
    with duckdb.connect() as con:
        return con.execute(f"select count(*) from {reader}").fetchone()[0]
