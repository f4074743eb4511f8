"""The project used as a dbt package: a host project installs it, points vars at its raw tables and builds.

A host project is written to a temporary folder with its own profile, target schema and raw tables
in DuckDB; it lists this project in packages.yml as a local package, runs `dbt deps` and `dbt build`
(every model, seed and test of the package, inside the host), and its marts must equal a stand-alone
build of this project on the same raw tables.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import DBT, PROJECT_DIR
from risk_segmentation.generator import GeneratorConfig, write

MARTS = ["customer_segments", "rfm_segments", "at_risk_customers", "return_risk_segments", "segment_thresholds"]
RAW_TABLES = ["customers", "orders", "order_items", "returns"]


def load_raw_tables(database: Path, raw_folder: Path) -> None:
    """The generated raw Parquet files as tables of schema shop_raw: a shop's EL-loaded raw schema."""
    with duckdb.connect(str(database)) as con:
        con.execute("create schema shop_raw")
        for table in RAW_TABLES:
            con.execute(f"create table shop_raw.{table} as select * from read_parquet('{raw_folder / table}.parquet')")


def write_host_project(folder: Path, database: Path, vars_block: str) -> None:
    folder.mkdir()
    (folder / "dbt_project.yml").write_text(
        "name: host_shop\nversion: '1.0.0'\nprofile: host_shop\n" + vars_block,
        encoding="utf-8",
    )
    (folder / "packages.yml").write_text(f"packages:\n  - local: {PROJECT_DIR}\n", encoding="utf-8")
    (folder / "profiles.yml").write_text(
        "host_shop:\n  target: prod\n  outputs:\n    prod:\n"
        f"      type: duckdb\n      path: {database}\n      schema: analytics\n      threads: 2\n",
        encoding="utf-8",
    )


def run_host(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "RISK_SEGMENTATION_"))}
    env["DBT_PROFILES_DIR"] = str(folder)
    return subprocess.run([DBT, *args], cwd=folder, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def raw_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("package_raw")
    write(GeneratorConfig(customers=400, seed=23), folder, "parquet")
    return folder


def test_a_host_project_builds_the_marts_of_a_stand_alone_build(run_dbt, raw_folder: Path, tmp_path: Path) -> None:
    host_database = tmp_path / "host.duckdb"
    load_raw_tables(host_database, raw_folder)
    host = tmp_path / "host"
    write_host_project(host, host_database, "vars:\n  risk_segmentation:\n    raw_schema: shop_raw\n")

    deps = run_host(host, "deps")
    assert deps.returncode == 0, deps.stdout + deps.stderr
    built = run_host(host, "build")
    output = built.stdout + built.stderr
    assert built.returncode == 0, output
    # The host's own target schema and schema naming, not the project's profile.
    with duckdb.connect(str(host_database), read_only=True) as con:
        schemas = {
            row[0] for row in con.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
        # The demo sample is not loaded in a host project.
        sample = con.execute("select count(*) from information_schema.tables where table_name like 'raw_%'").fetchone()
    assert {"analytics", "analytics_staging", "analytics_intermediate", "analytics_seeds"} <= schemas
    assert sample[0] == 0

    standalone_database = tmp_path / "standalone.duckdb"
    load_raw_tables(standalone_database, raw_folder)
    standalone = run_dbt(
        "build",
        "--exclude",
        "resource_type:test",
        "resource_type:unit_test",
        vars={"raw_schema": "shop_raw"},
        database=standalone_database,
    )
    assert standalone.returncode == 0, standalone.output

    with duckdb.connect(str(host_database), read_only=True) as con:
        con.execute(f"attach '{standalone_database}' as standalone (read_only)")
        for mart in MARTS:
            host_rows = con.execute(f"select count(*) from analytics.{mart}").fetchone()[0]
            assert host_rows > 0, mart
            for left, right in [
                (f"analytics.{mart}", f"standalone.main.{mart}"),
                (f"standalone.main.{mart}", f"analytics.{mart}"),
            ]:
                differing = con.execute(f"select count(*) from (select * from {left} except all select * from {right})")
                assert differing.fetchone()[0] == 0, f"{mart}: rows of {left} not in {right}"


def test_a_host_project_without_raw_vars_is_told_what_to_set(tmp_path: Path) -> None:
    host = tmp_path / "host"
    write_host_project(host, tmp_path / "host.duckdb", "")
    assert run_host(host, "deps").returncode == 0
    built = run_host(host, "build")
    output = built.stdout + built.stderr
    assert built.returncode != 0
    assert "risk_segmentation is installed as a package of project 'host_shop': set var raw_schema" in output
