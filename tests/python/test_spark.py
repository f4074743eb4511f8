"""The same numbers on Spark: build the sample on a local Spark (dbt-spark's session method,
the `spark` target) with every data and unit test, then again at a later as-of date so the
segment history records changes, and compare every mart, the history and the
transitions with the same two builds on DuckDB, row for row. The raw data is the shipped sample
plus a few customers whose average order value is an exact half in the fifth decimal
(money_half_cases.py): both engines must round it half away from zero.

Slow (about 9 minutes on 2 cores; most of it is Spark planning each of ~350 small queries);
`pytest -m "not spark"` skips it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import money_half_cases
import spark_local
from conftest import DBT, PROJECT_DIR
from risk_segmentation.generator import TABLES

pytestmark = [
    pytest.mark.skipif(spark_local.available() is not None, reason=str(spark_local.available())),
    pytest.mark.spark,
]

SAMPLE = PROJECT_DIR / "seeds" / "sample"
# The first build uses the default as-of date (2025-01-01 on the sample: its unit tests
# assume no as-of var); the second, a month later, moves customers between segments.
SECOND_AS_OF = "2025-01-31"
# Every mart, and the rejections by key and reason (as in test_postgres).
COMPARED = {
    "segment_thresholds": "select * from {marts}.segment_thresholds",
    "at_risk_customers": "select * from {marts}.at_risk_customers",
    "rfm_segments": "select * from {marts}.rfm_segments",
    "return_risk_segments": "select * from {marts}.return_risk_segments",
    "customer_segments": "select * from {marts}.customer_segments",
    "segment_backtest": "select * from {marts}.segment_backtest",
    "repurchase_model_evaluation": "select * from {marts}.repurchase_model_evaluation",
    "repurchase_calibration": "select * from {marts}.repurchase_calibration",
    "segment_transitions": "select * from {marts}.segment_transitions",
    "customer_segments_history": "select * from {marts}.customer_segments_history",
    "rejected_rows": "select source_table, rejection_reason, raw_key from {marts}_staging.stg_shop__rejected_rows",
}
# The money_half_cases customers' avg_order_value (return_risk_segments) and average_order_value
# (int_customer_order_metrics), as text: exactly as stored.
HALF_CASES_NAME = "half_cases"
HALF_CASES = f"""
    select metrics.customer_id, cast(returns.avg_order_value as string), cast(metrics.average_order_value as string)
    from {{marts}}_intermediate.int_customer_order_metrics as metrics
    left join {{marts}}.return_risk_segments as returns on metrics.customer_id = returns.customer_id
    where metrics.customer_id in ({", ".join(f"'{customer_id}'" for customer_id in money_half_cases.CUSTOMERS)})
"""


def dbt_build(tmp: Path, env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    completed = subprocess.run(
        [DBT, "build", *args, "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        cwd=PROJECT_DIR,
        env={**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-20000:] + completed.stderr[-5000:]
    return time.monotonic() - started


def build_twice(tmp: Path, env: dict[str, str], raw_vars: str = "") -> float:
    """Everything with every test, then the history's models again as of SECOND_AS_OF (no tests:
    they ran in the first build). Returns the first build's seconds."""
    seconds = dbt_build(tmp / "first", env, "--vars", f"{{{raw_vars}}}")
    dbt_build(
        tmp / "second",
        env,
        "--vars",
        f"{{{raw_vars}as_of_date: {SECOND_AS_OF}}}",
        "--select",
        "+segment_transitions",
        "--exclude",
        "test_type:data",
        "test_type:unit",
    )
    return seconds


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict]]:
    """The sample and the half cases built twice on DuckDB (files) and on Spark (raw tables in a schema):
    rows of each compared query."""
    tmp = tmp_path_factory.mktemp("spark_equality")
    raw_dir = money_half_cases.sample_with_half_cases(SAMPLE, tmp / "raw")
    duckdb_file = tmp / "duckdb.duckdb"
    build_twice(
        tmp / "duckdb",
        {"RISK_SEGMENTATION_DUCKDB_PATH": str(duckdb_file), "DBT_TARGET": "dev"},
        raw_vars=f"raw_data_dir: '{raw_dir}', ",
    )
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        duckdb_rows = {
            name: spark_local.normalise(con.execute(sql.format(marts="main")).fetchall())
            for name, sql in {**COMPARED, HALF_CASES_NAME: HALF_CASES}.items()
        }

    spark_dir = tmp / "spark"
    spark_local.load_raw_tables(spark_dir, "shop_raw", {table: raw_dir / f"{table}.csv" for table in TABLES})
    seconds = build_twice(
        tmp / "spark_build",
        {"DBT_TARGET": "spark", "RISK_SEGMENTATION_SPARK_DIR": str(spark_dir)},
        raw_vars="raw_schema: shop_raw, ",
    )
    print(f"dbt build on the spark target, every test: {seconds:.0f} s")
    queried = spark_local.query(
        spark_dir,
        {name: sql.format(marts="analytics") for name, sql in {**COMPARED, HALF_CASES_NAME: HALF_CASES}.items()},
    )
    spark_rows = {name: spark_local.normalise(rows) for name, rows in queried.items()}
    yield duckdb_rows, spark_rows


@pytest.mark.parametrize("name", list(COMPARED))
def test_spark_build_equals_duckdb_build_row_for_row(builds, name: str) -> None:
    duckdb_rows, spark_rows = builds[0][name], builds[1][name]
    assert len(duckdb_rows) > 0
    assert len(duckdb_rows) == len(spark_rows), (name, len(duckdb_rows), len(spark_rows))
    mismatches = [(d, s) for d, s in zip(duckdb_rows, spark_rows, strict=True) if d != s]
    assert not mismatches, f"{name}: {len(mismatches)} rows differ, first: {mismatches[:3]}"


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_an_exact_half_cent_average_rounds_half_away_from_zero(builds, engine: str) -> None:
    """162.67 / 8 = 20.33375 is 20.3338 on both engines (money_ratio), not 20.3337 through a double."""
    actual = {row[0]: (row[1], row[2]) for row in builds[0 if engine == "duckdb" else 1][HALF_CASES_NAME]}
    assert actual == {
        customer_id: tuple(None if value is None else str(value) for value in values)
        for customer_id, values in money_half_cases.expected().items()
    }
