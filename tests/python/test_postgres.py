"""The same numbers on Postgres: build the project on a throwaway cluster and compare every mart
with the DuckDB build of the same raw data, row for row."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

import postgres_server
from conftest import DBT, PROJECT_DIR
from risk_segmentation.generator import TABLES

pytestmark = pytest.mark.skipif(postgres_server.available() is not None, reason=str(postgres_server.available()))

SAMPLE = PROJECT_DIR / "seeds" / "sample"
MARTS = {
    "segment_thresholds": "as_of_date, threshold_name",
    "at_risk_customers": "customer_id",
    "rfm_segments": "customer_id",
    "return_risk_segments": "customer_id",
    "customer_segments": "customer_id",
    "segment_backtest": "cohort_type, cohort",
    # One build: one version per customer, and no transitions yet on either engine.
    "segment_transitions": "customer_id, dimension, as_of_date",
}
HISTORY_COLUMNS = (
    "customer_id, rfm_segment, lifecycle_stage, is_at_risk, churn_risk, return_tier, value_tier,"
    " risk_value_quadrant, as_of_date, dbt_valid_from, dbt_valid_to"
)
# The history snapshot without dbt's bookkeeping hashes and load times; rejections
# too, by key and reason (not raw_values: a seed loads an empty CSV field
# as null, Postgres' COPY as an empty string; both clean to null).
COMPARED = {
    **MARTS,
    f"(select {HISTORY_COLUMNS} from customer_segments_history) as history": "customer_id, dbt_valid_from",
    "(select source_table, rejection_reason, raw_key from stg_shop__rejected_rows) as rejected_rows": (
        "source_table, rejection_reason, raw_key"
    ),
}


def run_dbt(tmp: Path, env: dict[str, str], *args: str) -> str:
    command = [DBT, "build", *args, "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    completed = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env={**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def load_raw_tables(connection, schema: str) -> None:
    """Copy the sample's raw CSV files into a schema as text tables (warehouse mode)."""
    with connection.cursor() as cursor:
        cursor.execute(f"create schema {schema}")
        for table in TABLES:
            path = SAMPLE / f"raw_{table}.csv"
            columns = path.open().readline().strip().split(",")
            cursor.execute(f"create table {schema}.{table} ({', '.join(f'{c} text' for c in columns)})")
            with path.open() as rows:
                cursor.copy_expert(f"copy {schema}.{table} from stdin with (format csv, header true)", rows)
    connection.commit()


# Doubles computed through pow() and weighted sums (return-risk signals and
# scores) may differ in the last bits between engines' maths libraries; 12
# significant digits is far below any published meaning and far above that noise.
FLOAT_DIGITS = 12


def normalise(value):
    """One representation per value: numerics as Decimal, so 585.5 and Decimal('585.5000') compare by value."""
    if isinstance(value, float):
        return Decimal(f"{value:.{FLOAT_DIGITS}g}").normalize()
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value).normalize()
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def rows(cursor, table: str, order_by: str) -> list[tuple]:
    cursor.execute(f"select * from {table} order by {order_by}")
    return [tuple(normalise(value) for value in row) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict]]:
    """The sample built on DuckDB (seeds) and on Postgres (raw tables in a schema, built twice: in full,
    then incrementally): rows of each compared model."""
    tmp = tmp_path_factory.mktemp("postgres_equality")
    duckdb_file = tmp / "duckdb.duckdb"
    run_dbt(tmp / "duckdb", {"RISK_SEGMENTATION_DUCKDB_PATH": str(duckdb_file), "DBT_TARGET": "dev"})
    with postgres_server.postgres_cluster() as pg_env:
        connection = psycopg2.connect(
            host=pg_env["PGHOST"], port=pg_env["PGPORT"], user=pg_env["PGUSER"], dbname=pg_env["PGDATABASE"]
        )
        load_raw_tables(connection, "shop_raw")
        with connection.cursor() as cursor:
            cursor.execute(f"create role {BI_ROLE} login")
        connection.commit()
        postgres_env = {**pg_env, "DBT_TARGET": "postgres", "RISK_SEGMENTATION_BI_ROLES": BI_ROLE}
        run_dbt(tmp / "postgres", postgres_env, "--vars", "{raw_schema: shop_raw}")
        # A second build takes the incremental path on Postgres too (keys to recompute in a
        # temporary table, their rows deleted and appended); with nothing new it changes no row.
        again = run_dbt(tmp / "postgres_again", postgres_env, "--vars", "{raw_schema: shop_raw}")
        assert "Incremental int_customer_return_metrics: recomputing the customers with rows staged" in again
        with connection.cursor() as cursor:
            cursor.execute("set search_path to analytics, analytics_staging")
            postgres_rows = {table: rows(cursor, table, order_by) for table, order_by in COMPARED.items()}
            postgres_rows[PRIVILEGES] = bi_role_privileges(cursor)
        connection.close()
        bi_connection = psycopg2.connect(
            host=pg_env["PGHOST"], port=pg_env["PGPORT"], user=BI_ROLE, dbname=pg_env["PGDATABASE"]
        )
        postgres_rows[BI_READS] = bi_role_reads(bi_connection)
        bi_connection.close()
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        con.execute("set search_path = 'main,main_staging'")
        duckdb_rows = {table: rows(con, table, order_by) for table, order_by in COMPARED.items()}
    yield duckdb_rows, postgres_rows


BI_ROLE = "bi_reader"
PRIVILEGES, BI_READS = "privileges", "bi_reads"


def bi_role_privileges(cursor) -> dict[str, list[str]]:
    """Per schema of the build, the relations the BI role can select (usage on the schema and select on it)."""
    cursor.execute(
        """
        select table_schema, table_name,
            has_schema_privilege(%(role)s, table_schema, 'usage')
            and has_table_privilege(%(role)s, quote_ident(table_schema) || '.' || quote_ident(table_name), 'select')
        from information_schema.tables
        where table_schema like 'analytics%%'
        order by 1, 2
        """,
        {"role": BI_ROLE},
    )
    by_schema: dict[str, dict[str, list[str]]] = {}
    for schema, table, readable in cursor.fetchall():
        access = by_schema.setdefault(schema, {"readable": [], "private": []})
        access["readable" if readable else "private"].append(table)
    return by_schema


def bi_role_reads(connection) -> dict[str, str]:
    """What the BI role gets, logged in as itself: a mart's rows, or the error of a private relation."""
    outcomes = {}
    for relation in ["analytics.customer_segments", "analytics_staging.stg_shop__customers"]:
        with connection.cursor() as cursor:
            try:
                cursor.execute(f"select count(*) from {relation}")
                outcomes[relation] = f"{cursor.fetchone()[0]} rows"
            except psycopg2.errors.InsufficientPrivilege as error:
                outcomes[relation] = error.pgerror.splitlines()[0]
        connection.rollback()
    return outcomes


def test_bi_role_reads_every_mart_and_nothing_else(builds) -> None:
    privileges = builds[1][PRIVILEGES]
    assert set(privileges) == {"analytics", "analytics_staging", "analytics_intermediate", "analytics_seeds"}
    assert privileges["analytics"]["private"] == []
    assert set(MARTS) | {"customer_segments_history", "segment_transitions"} <= set(privileges["analytics"]["readable"])
    for schema in ["analytics_staging", "analytics_intermediate", "analytics_seeds"]:
        assert privileges[schema]["readable"] == [], schema
        assert privileges[schema]["private"], schema


def test_bi_role_logged_in_reads_marts_and_is_refused_staging(builds) -> None:
    reads = builds[1][BI_READS]
    assert reads["analytics.customer_segments"] == f"{len(builds[0]['customer_segments'])} rows"
    assert reads["analytics_staging.stg_shop__customers"].startswith("ERROR:  permission denied for schema")


@pytest.mark.parametrize(
    "table",
    list(COMPARED),
    ids=[
        "segment_thresholds",
        "at_risk_customers",
        "rfm_segments",
        "return_risk_segments",
        "customer_segments",
        "segment_backtest",
        "segment_transitions",
        "customer_segments_history",
        "rejected_rows",
    ],
)
def test_postgres_build_equals_duckdb_build_row_for_row(builds, table: str) -> None:
    duckdb_rows, postgres_rows = builds[0][table], builds[1][table]
    assert len(duckdb_rows) > 0 or table == "segment_transitions"
    mismatches = [(d, p) for d, p in zip(duckdb_rows, postgres_rows, strict=False) if d != p]
    assert len(duckdb_rows) == len(postgres_rows), (table, len(duckdb_rows), len(postgres_rows))
    assert not mismatches, f"{table}: {len(mismatches)} rows differ, first: {mismatches[:3]}"
