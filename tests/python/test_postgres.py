"""The same numbers on Postgres: build the project on a throwaway cluster and compare every mart
with the DuckDB build of the same raw data, row for row. The raw data is the shipped sample plus
a few customers whose average order value is an exact half in the fifth decimal
(money_half_cases.py): both engines must round it half away from zero. On Postgres the raw tables
carry an EL tool's load column (Airbyte's) and arrive in two loads: the first build stages the
first load, the second build the second load only, incrementally; DuckDB builds every row at once
from the files. Both at the same as-of date, so the history holds one version per customer."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

import money_half_cases
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
    "repurchase_model_evaluation": "predictor",
    "repurchase_calibration": "decile",
    # One build: one version per customer, and no transitions yet on either engine.
    "segment_transitions": "customer_id, dimension, as_of_date",
}
# The history too; rejections by key and reason (not raw_values: a seed loads an empty CSV field
# as null, Postgres' COPY as an empty string; both clean to null).
COMPARED = {
    **MARTS,
    "customer_segments_history": "customer_id, valid_from",
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


LOAD_COLUMN = "_airbyte_extracted_at"  # found by the project without configuration
SECOND_LOAD = 0.2  # the share of each raw table's rows, the last in its file, that arrive second


def load_raw_tables(connection, schema: str, raw_dir: Path) -> None:
    """Copy the raw CSV files (<table>.csv) into a schema as text tables (warehouse mode), each row
    with its load time; the rows of the second load wait in <schema>_later (see add_second_load)."""
    with connection.cursor() as cursor:
        cursor.execute(f"create schema {schema}")
        cursor.execute(f"create schema {schema}_later")
        for table in TABLES:
            path = raw_dir / f"{table}.csv"
            columns = path.open().readline().strip().split(",")
            cursor.execute(
                f"create table {schema}.{table} ({', '.join(f'{c} text' for c in columns)},"
                f" {LOAD_COLUMN} timestamptz, _row bigserial)"
            )
            with path.open() as rows:
                cursor.copy_expert(
                    f"copy {schema}.{table} ({', '.join(columns)}) from stdin with (format csv, header true)", rows
                )
            cursor.execute(
                f"""update {schema}.{table} set {LOAD_COLUMN} = case
                    when _row > (select (1 - {SECOND_LOAD}) * max(_row) from {schema}.{table})
                    then timestamptz '2024-06-02 00:00:00+00' else timestamptz '2024-06-01 00:00:00+00' end"""
            )
            cursor.execute(
                f"create table {schema}_later.{table} as select * from {schema}.{table}"
                f" where {LOAD_COLUMN} = timestamptz '2024-06-02 00:00:00+00'"
            )
            cursor.execute(f"delete from {schema}.{table} where {LOAD_COLUMN} = timestamptz '2024-06-02 00:00:00+00'")
    connection.commit()


def add_second_load(connection, schema: str) -> None:
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"insert into {schema}.{table} select * from {schema}_later.{table}")
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


HALF_CASES = "half_cases"


def half_case_values(cursor, marts: str, intermediate: str) -> dict[str, tuple]:
    """The money_half_cases customers' avg_order_value (return_risk_segments) and
    average_order_value (int_customer_order_metrics), exactly as stored."""
    ids = ", ".join(f"'{customer_id}'" for customer_id in money_half_cases.CUSTOMERS)
    cursor.execute(
        f"""select metrics.customer_id, returns.avg_order_value, metrics.average_order_value
        from {intermediate}.int_customer_order_metrics as metrics
        left join {marts}.return_risk_segments as returns on metrics.customer_id = returns.customer_id
        where metrics.customer_id in ({ids})"""
    )
    return {str(customer_id): (kept, every) for customer_id, kept, every in cursor.fetchall()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict]]:
    """The sample and the half cases built on DuckDB (files) and on Postgres (raw tables in a schema,
    built twice: in full, then incrementally): rows of each compared model."""
    tmp = tmp_path_factory.mktemp("postgres_equality")
    raw_dir = money_half_cases.sample_with_half_cases(SAMPLE, tmp / "raw")
    duckdb_file = tmp / "duckdb.duckdb"
    run_dbt(
        tmp / "duckdb",
        {"RISK_SEGMENTATION_DUCKDB_PATH": str(duckdb_file), "DBT_TARGET": "dev"},
        "--vars",
        f"{{raw_data_dir: '{raw_dir}'}}",
    )
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        as_of_date = con.execute("select max(as_of_date) from main_intermediate.int_as_of_date").fetchone()[0]
    postgres_vars = f"{{raw_schema: shop_raw, as_of_date: '{as_of_date}'}}"
    with postgres_server.postgres_cluster() as pg_env:
        connection = psycopg2.connect(
            host=pg_env["PGHOST"], port=pg_env["PGPORT"], user=pg_env["PGUSER"], dbname=pg_env["PGDATABASE"]
        )
        load_raw_tables(connection, "shop_raw", raw_dir)
        with connection.cursor() as cursor:
            cursor.execute(f"create role {BI_ROLE} login")
        connection.commit()
        postgres_env = {**pg_env, "DBT_TARGET": "postgres", "RISK_SEGMENTATION_BI_ROLES": BI_ROLE}
        run_dbt(tmp / "postgres", postgres_env, "--vars", postgres_vars)
        # The second load arrives: the second build stages it alone and recomputes the customers
        # it concerns (delete+insert by customer).
        add_second_load(connection, "shop_raw")
        again = run_dbt(tmp / "postgres_again", postgres_env, "--vars", postgres_vars)
        assert "Incremental stg_shop__order_rows: staging the loads of orders after 2024-06-01 00:00:00+00." in again
        with connection.cursor() as cursor:
            cursor.execute(
                """select count(*) filter (where computed_at = (select max(computed_at) from {table})), count(*)
                from {table}""".format(table="analytics_intermediate.int_customer_return_metrics")
            )
            redone, total = cursor.fetchone()
        assert 0 < redone < total, (redone, total)  # recomputed the customers of the second load only
        with connection.cursor() as cursor:
            cursor.execute("set search_path to analytics, analytics_staging")
            postgres_rows = {table: rows(cursor, table, order_by) for table, order_by in COMPARED.items()}
            postgres_rows[HALF_CASES] = half_case_values(cursor, "analytics", "analytics_intermediate")
            postgres_rows[PRIVILEGES] = bi_role_privileges(cursor)
            postgres_rows[STATISTICS] = table_statistics(cursor)
        connection.close()
        bi_connection = psycopg2.connect(
            host=pg_env["PGHOST"], port=pg_env["PGPORT"], user=BI_ROLE, dbname=pg_env["PGDATABASE"]
        )
        postgres_rows[BI_READS] = bi_role_reads(bi_connection)
        bi_connection.close()
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        con.execute("set search_path = 'main,main_staging'")
        duckdb_rows = {table: rows(con, table, order_by) for table, order_by in COMPARED.items()}
        duckdb_rows[HALF_CASES] = half_case_values(con, "main", "main_intermediate")
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


STATISTICS = "statistics"


def table_statistics(cursor) -> dict[str, dict]:
    """Per table of the build (schema.table), how often it was analysed by an `analyze` statement
    (autovacuum's analyses are counted apart) and whether the planner has a row count for it."""
    cursor.execute(
        """
        select tables.schemaname || '.' || tables.relname, tables.analyze_count, tables.last_analyze, class.reltuples
        from pg_stat_user_tables as tables
        inner join pg_class as class on tables.relid = class.oid
        where tables.schemaname like 'analytics%%'
        """
    )
    return {
        relation: {"analyze_count": count, "last_analyze": last, "reltuples": reltuples}
        for relation, count, last, reltuples in cursor.fetchall()
    }


# One of each kind of table the build writes, and how many `analyze` it had over the module's two
# builds: an incremental model or a seed keeps its table and is analysed after each build's writes
# (the merge, the reload), a table model is created anew by each build.
ANALYSED = {
    "analytics_staging.stg_shop__order_rows": 2,
    "analytics_intermediate.int_customer_order_history": 2,
    "analytics_intermediate.int_customer_order_metrics": 1,
    "analytics.customer_segments": 1,
    "analytics.customer_segments_history": 2,
    "analytics_seeds.order_status_synonyms": 2,
}


def test_postgres_analyses_every_table_it_builds(builds) -> None:
    """The analyze_table post-hook: every table, incremental model and seed has statistics as soon
    as it is built, so the models and tests after it are planned from them (issue 23). Views are
    not tables here (pg_stat_user_tables lists none)."""
    statistics = builds[1][STATISTICS]
    assert set(ANALYSED) <= set(statistics), sorted(statistics)
    never = sorted(relation for relation, table in statistics.items() if table["last_analyze"] is None)
    assert never == [], f"never analysed: {never}"
    assert all(table["reltuples"] >= 0 for table in statistics.values())
    assert {relation: statistics[relation]["analyze_count"] for relation in ANALYSED} == ANALYSED


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
        "repurchase_model_evaluation",
        "repurchase_calibration",
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


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_an_exact_half_cent_average_rounds_half_away_from_zero(builds, engine: str) -> None:
    """162.67 / 8 = 20.33375 is 20.3338 on both engines (money_ratio), not 20.3337 through a double."""
    actual = builds[0 if engine == "duckdb" else 1][HALF_CASES]
    assert actual == money_half_cases.expected()
