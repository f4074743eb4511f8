"""Raw tables in loads (docs/daily-builds.md): a folder of load files, or a warehouse load column.

A shop written as daily load files builds exactly as the same rows in one file; a warehouse table
with an EL tool's load column is staged load by load without configuration, and its daily build
equals a full build; the ambiguous and wrong layouts stop the build naming the culprit."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import NO_UNIT_TESTS
from risk_segmentation.generator import GeneratorConfig, write

TABLES = ["customers", "orders", "order_items", "returns"]
# What a build from loads and one from single files must agree on: where a rejected row came from
# (its load, its line in a file) differs by design.
REJECTED = "select source_table, raw_key, rejection_reason, raw_values from stg_shop__rejected_rows"
MARTS = ["rfm_segments", "at_risk_customers", "return_risk_segments", "customer_segments"]


def rows(result, sql: str) -> list[tuple]:
    return sorted(result.query(sql), key=repr)


def test_daily_load_files_build_as_one_file(run_dbt, tmp_path: Path) -> None:
    """CSV load files, dirt included (unreadable records too), give the single file's marts and rejections."""
    config = GeneratorConfig(customers=400, seed=3)
    write(config, tmp_path / "single", "csv")
    write(config, tmp_path / "loads", "csv", loads="daily")
    with open(tmp_path / "loads" / "orders" / "2023-03-01.csv", "ab") as load:  # an unreadable record in a load
        load.write(b'"broken,quote\n')
    with open(tmp_path / "single" / "orders.csv", "ab") as single:
        single.write(b'"broken,quote\n')
    single = run_dbt(
        "build", *NO_UNIT_TESTS, vars={"raw_data_dir": str(tmp_path / "single")}, database=tmp_path / "single.duckdb"
    )
    assert single.returncode == 0, single.output
    loads = run_dbt(
        "build", *NO_UNIT_TESTS, vars={"raw_data_dir": str(tmp_path / "loads")}, database=tmp_path / "loads.duckdb"
    )
    assert loads.returncode == 0, loads.output
    assert rows(loads, REJECTED) == rows(single, REJECTED)
    for mart in MARTS:
        assert rows(loads, f"select * from {mart}") == rows(single, f"select * from {mart}"), mart  # noqa: S608
    # The unreadable record names its load file and its line in it.
    assert loads.query(
        "select load_id, file_line_number > 1 from stg_shop__rejected_rows where rejection_reason = 'broken_quoting'"
    ) == [("2023-03-01.csv", True)]


def load_warehouse(database: Path, shop: Path, load_column: str, loads: int) -> None:
    """The generated shop's tables in schema shop_raw, each row in one of `loads` loads (by row order)."""
    with duckdb.connect(str(database)) as con:
        con.execute("create schema if not exists shop_raw")
        for table in TABLES:
            con.execute(
                f"""create or replace table shop_raw.{table} as
                select *, 'load-' || (1 + (row_number() over () * {loads} - 1) // count(*) over ()) as {load_column}
                from read_csv('{shop / table}.csv', all_varchar = true)"""  # noqa: S608
            )


def test_a_warehouse_load_column_is_found_and_staged_load_by_load(run_dbt, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    write(GeneratorConfig(customers=400, seed=4), shop, "csv")
    database, full_db = tmp_path / "daily.duckdb", tmp_path / "full.duckdb"
    load_warehouse(database, shop, "_dlt_load_id", loads=2)
    vars = {"raw_schema": "shop_raw"}
    with duckdb.connect(str(database)) as con:  # day one: the first load only
        second = {
            table: con.execute(f"select * from shop_raw.{table} where _dlt_load_id = 'load-2'").df()  # noqa: S608
            for table in TABLES
        }
        for table in TABLES:
            con.execute(f"delete from shop_raw.{table} where _dlt_load_id = 'load-2'")
    first = run_dbt("build", *NO_UNIT_TESTS, vars=vars, database=database)
    assert first.returncode == 0, first.output
    with duckdb.connect(str(database)) as con:  # day two: the second load arrives
        for table, frame in second.items():
            con.register("arrived", frame)
            con.execute(f"insert into shop_raw.{table} select * from arrived")
            con.unregister("arrived")
    daily = run_dbt("build", *NO_UNIT_TESTS, vars=vars, database=database)
    assert daily.returncode == 0, daily.output
    assert "Incremental stg_shop__order_rows: staging the loads of orders after load-1." in daily.output
    assert daily.scalar("select count(distinct load_id) from stg_shop__order_rows") == 2

    load_warehouse(full_db, shop, "_dlt_load_id", loads=2)
    full = run_dbt("build", *NO_UNIT_TESTS, vars=vars, database=full_db)
    assert full.returncode == 0, full.output
    assert rows(daily, REJECTED) == rows(full, REJECTED)
    for mart in MARTS:
        assert rows(daily, f"select * from {mart}") == rows(full, f"select * from {mart}"), mart  # noqa: S608


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (["orders.csv", "orders/2024-01-01.csv"], "holds orders.csv and orders/*.csv for raw table 'orders'; keep one"),
        (["orders/2024-01-01.csv", "orders/2024-01-02.parquet"], "holds orders/*.csv and orders/*.parquet"),
    ],
)
def test_a_table_in_two_layouts_stops_the_build(run_dbt, tmp_path: Path, layout: list[str], message: str) -> None:
    raw = tmp_path / "raw"
    (raw / "orders").mkdir(parents=True)
    (raw / "customers.csv").write_text("customer_id\nc1\n")
    with duckdb.connect() as con:
        for name in layout:
            options = "(header)" if name.endswith(".csv") else "(format parquet)"
            order = "select 'o1' as order_id, 'c1' as customer_id, '2024-01-01' as ordered_at, 'paid' as status"
            con.execute(f"copy ({order}, '10' as order_total) to '{raw / name}' {options}")
    result = run_dbt("build", "--select", "+stg_shop__order_rows", vars={"raw_data_dir": str(raw)})
    assert result.returncode != 0
    assert message in result.output


def test_a_named_load_column_that_is_missing_stops_the_build(run_dbt, tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    write(GeneratorConfig(customers=50, seed=5), shop, "csv")
    database = tmp_path / "warehouse.duckdb"
    load_warehouse(database, shop, "_loaded_at", loads=1)
    result = run_dbt(
        "build", "--select", "+stg_shop__order_rows", vars={"raw_schema": "shop_raw", "raw_load_column": "loaded"},
        database=database,
    )  # fmt: skip
    assert result.returncode != 0
    assert "var 'raw_load_column': raw table 'orders'" in result.output
    assert "has no column 'loaded'" in result.output
