"""Build the project end to end in file mode on generated data, and account for every raw row."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import NO_UNIT_TESTS, raw_row_count
from risk_segmentation.generator import TABLES

STAGING = ["--select", "+path:models/staging", *NO_UNIT_TESTS]  # staging and the seeds it reads


def assert_every_row_accounted_for(result, raw_folder: Path, file_format: str) -> None:
    """clean + duplicates + rejected = raw rows, counted here from the raw files, not by dbt."""
    clean_model = {"customers": "customers", "orders": "orders", "order_items": "order_items", "returns": "returns"}
    rows_model = {"customers": "customer", "orders": "order", "order_items": "order_item", "returns": "return"}
    for table in TABLES:
        raw = raw_row_count(raw_folder / f"{table}.{file_format}")
        clean = result.scalar(f"select count(*) from stg_shop__{clean_model[table]}")
        duplicates = result.scalar(
            f"select count(*) from stg_shop__{rows_model[table]}_rows where row_disposition = 'duplicate'"
        )
        rejected = result.scalar(f"select count(*) from stg_shop__rejected_rows where source_table = '{table}'")
        assert raw > 0
        assert (table, clean + duplicates + rejected) == (table, raw)
        assert duplicates > 0 and rejected > 0, f"{table}: the generated data has dirt of every kind"


def test_csv_folder_builds_and_every_row_is_accounted_for(run_dbt, generated_csv: Path) -> None:
    result = run_dbt("build", *STAGING, vars={"raw_data_dir": str(generated_csv)})
    assert result.returncode == 0, result.output
    assert_every_row_accounted_for(result, generated_csv, "csv")


def test_parquet_folder_builds_and_every_row_is_accounted_for(run_dbt, generated_parquet: Path) -> None:
    result = run_dbt("build", *STAGING, vars={"raw_data_dir": str(generated_parquet)})
    assert result.returncode == 0, result.output
    assert_every_row_accounted_for(result, generated_parquet, "parquet")


def test_a_folder_with_only_customers_and_orders_builds(run_dbt, generated_csv: Path, tmp_path: Path) -> None:
    """Contract columns only, some optional ones missing, one extra column, names in another case."""
    folder = tmp_path / "raw"
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"""copy (
                select customer_id as "Customer_ID", age, gender, 'ignored' as loyalty_tier
                from read_csv('{generated_csv / "customers.csv"}', all_varchar = true)
            ) to '{folder / "customers.csv"}' (header)"""
        )
        con.execute(
            f"""copy (
                select order_id, customer_id, ordered_at, status, order_total
                from read_csv('{generated_csv / "orders.csv"}', all_varchar = true)
            ) to '{folder / "orders.csv"}' (header)"""
        )
    result = run_dbt("build", *STAGING, vars={"raw_data_dir": str(folder)})
    assert result.returncode == 0, result.output
    assert "Raw table 'order_items' not found" in result.output
    assert "Raw table 'returns' not found" in result.output
    assert result.scalar("select count(*) from stg_shop__order_items") == 0
    assert result.scalar("select count(*) from stg_shop__returns") == 0
    assert result.scalar("select count(*) from stg_shop__customers where email is not null") == 0
    assert result.scalar("select count(*) from stg_shop__orders") > 0
    # Without updated_at, duplicate customer versions are still resolved, deterministically.
    assert result.scalar("select count(*) from stg_shop__customer_rows where row_disposition = 'duplicate'") > 0


def test_integer_and_typed_parquet_columns_are_read(run_dbt, tmp_path: Path) -> None:
    """A typed export (integer ids, timestamps, decimals, booleans) reads like text."""
    folder = tmp_path / "typed"
    folder.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"""copy (select 1::bigint as customer_id, timestamp '2024-01-01 08:00:00' as created_at)
            to '{folder / "customers.parquet"}'"""
        )
        con.execute(
            f"""copy (
                select 10::bigint as order_id, 1::bigint as customer_id,
                    timestamptz '2024-02-01 23:30:00+00' as ordered_at, 'paid' as status,
                    12.5::decimal(10, 2) as order_total
            ) to '{folder / "orders.parquet"}'"""
        )
        con.execute(
            f"""copy (
                select 5 as return_id, 10 as order_id, null::int as line_number,
                    date '2024-02-10' as requested_at, 2.5::double as refund_amount, true as tracking_confirmed
            ) to '{folder / "returns.parquet"}'"""
        )
    result = run_dbt("build", *STAGING, vars={"raw_data_dir": str(folder)})
    assert result.returncode == 0, result.output
    assert result.query("select order_id, customer_id, ordered_at::varchar, order_total from stg_shop__orders") == [
        ("10", "1", "2024-02-01 23:30:00", pytest.approx(12.5))
    ]
    assert result.query("select refund_amount, is_tracking_confirmed, return_status from stg_shop__returns") == [
        (pytest.approx(2.5), True, "requested")
    ]


def test_clean_generated_data_loses_no_row(run_dbt, tmp_path: Path) -> None:
    from risk_segmentation.generator import GeneratorConfig, write

    write(GeneratorConfig(customers=300, seed=5, dirt=0), tmp_path / "clean")
    result = run_dbt("build", *STAGING, vars={"raw_data_dir": str(tmp_path / "clean")})
    assert result.returncode == 0, result.output
    assert result.scalar("select count(*) from stg_shop__rejected_rows") == 0


def test_the_shipped_sample_builds_by_default(run_dbt) -> None:
    result = run_dbt("build", *STAGING)
    assert result.returncode == 0, result.output
    assert result.scalar("select count(*) from stg_shop__customers") > 2000
    seeds = Path(__file__).resolve().parents[2] / "seeds" / "sample"
    for table in TABLES:
        shutil.copy(seeds / f"raw_{table}.csv", Path(result.database).parent / f"{table}.csv")
    assert_every_row_accounted_for(result, Path(result.database).parent, "csv")


def test_tables_in_a_warehouse_schema_build_with_raw_schema(run_dbt, generated_csv: Path, tmp_path: Path) -> None:
    """Warehouse mode: the raw tables sit in a schema of the target database."""
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema shop_raw")
        for table in TABLES:
            con.execute(
                f"create table shop_raw.{table} as "
                f"select * from read_csv('{generated_csv / table}.csv', all_varchar = true)"
            )
    result = run_dbt("build", *STAGING, vars={"raw_schema": "shop_raw"}, database=database)
    assert result.returncode == 0, result.output
    assert_every_row_accounted_for(result, generated_csv, "csv")
    # Seeds of the sample are disabled: nothing of the sample leaks into the build.
    assert result.scalar("select count(*) from information_schema.tables where table_name = 'raw_orders'") == 0
