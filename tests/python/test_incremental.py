"""A daily incremental build equals a full build of the same raw rows (docs/daily-builds.md).

The raw tables are batched: each a folder of load files. Day one is the load 0001.csv; day two adds
the load 0002.csv. Day one holds every generated raw row dated up to DAY_ONE (rows without a readable date too, as
old rows); day two adds the rest: the last day of orders, returns and customers, the newer
versions of older ones, late first exports (customers whose orders arrived on day one, orders
dated months before day one), newer versions that reject day-one orders, the first lines of
orders staged on day one, and the lines of orders no export knows (undated, new keys). The same
raw folder is built on day one, then again incrementally on day two; a fresh database builds day
two in full. Every staged row, rejection, incremental intermediate row and mart must agree. So
must they after an as-of date earlier than the last build's (everything is recomputed) and a
later one over the same rows (the orders and customers active in between are); new rules
recompute everything. A table that is not batched is staged again in full."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import NO_UNIT_TESTS
from risk_segmentation.generator import GeneratorConfig, write

DAY_ONE = "2024-12-30"  # the generated shop's last day of orders is 2024-12-31
# Day-one orders that look clean (a customer, a positive total, an order date), a few of which
# are rejected by a newer version on day two.
REJECTED_ON_DAY_TWO = """
    select trim(order_id) from day_one_orders
    where customer_id is not null and try_cast(trim(order_total) as double) > 0 and ordered_at like '2024-%'
    order by order_id desc
    limit 5
"""
DATED = {"customers": ["updated_at", "created_at"], "orders": ["updated_at", "ordered_at"], "returns": ["requested_at"]}
STAGED = ["stg_shop__customer_rows", "stg_shop__order_rows", "stg_shop__order_item_rows", "stg_shop__return_rows"]
REFRESHED = [
    "int_orders", "int_customer_order_history", "int_customer_return_metrics", "int_customer_returned_lines",
    "int_customer_return_patterns",
]  # fmt: skip  # incremental by order or customer
ROW_LEVEL = ["int_counted_orders", "int_accepted_returns"]  # what they read, compared too
TRAINED = ["int_repurchase_snapshots", "int_repurchase_evaluation"]  # redone only when their inputs change
BOOKKEEPING = [
    "staged_at",
    "computed_at",
    "computed_as_of",
    "trained_at",
    "evaluated_at",
]  # when a row was made, not what it says
MARTS = [
    "segment_thresholds", "at_risk_customers", "rfm_segments", "return_risk_segments", "customer_segments",
    "segment_backtest", "repurchase_model_evaluation", "repurchase_calibration",
]  # fmt: skip


def day(column: str) -> str:
    """The day a raw date text names (its first ten characters), or null when they are no date."""
    text = f"replace(left(trim({column}), 10), '/', '-')"
    return f"case when regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') then {text} end"


def write_days(full: Path, day_one: Path, day_two: Path) -> None:
    """Split generated CSVs into day one's load and the load day two adds (its rows that day one lacks)."""
    with duckdb.connect() as con:
        for table in ["customers", "orders", "order_items", "returns"]:
            con.execute(f"create table {table} as select * from read_csv('{full / table}.csv', all_varchar = true)")  # noqa: S608
        for table, columns in DATED.items():
            latest = f"greatest({', '.join(day(column) for column in columns)})"
            con.execute(
                f"create table day_one_{table} as select * from {table} where coalesce({latest} <= '{DAY_ONE}', true)"
            )
        # Late first exports: customers who ordered on day one, known to the customer export only from
        # day two (their orders stop being orphans), and orders dated months before day one.
        con.execute(
            """delete from day_one_customers
            where trim(customer_id) in (
                select trim(customer_id) from day_one_orders
                where customer_id is not null
                order by order_id
                limit 3
            )"""
        )
        con.execute(
            """insert into orders
            select * replace (
                'late-' || trim(order_id) as order_id, '2024-06-01 10:00:00' as ordered_at,
                '2024-06-02 10:00:00' as updated_at, null as delivered_at
            )
            from day_one_orders
            where order_id is not null
            order by order_id
            limit 5"""
        )
        # Orders rejected on day two: a newer version of a day-one order, with a negative total. Their
        # lines, staged on day one and unchanged, must follow their order and be rejected too.
        con.execute(
            f"""insert into orders
            select * replace ('-1.00' as order_total, '2024-12-31 12:00:00' as updated_at)
            from day_one_orders
            where trim(order_id) in ({REJECTED_ON_DAY_TWO})"""
        )
        # A line belongs to its order's day; lines of unknown orders (and without one) arrive on day two.
        con.execute(
            """create table day_one_order_items as
            select * from order_items
            where trim(order_id) in (select trim(order_id) from day_one_orders where order_id is not null)"""
        )
        # Late lines: the lines of orders staged on day one arrive on day two, the orders themselves unchanged
        # (the models that read lines must follow the lines, not only their orders).
        con.execute(
            """delete from day_one_order_items
            where trim(order_id) in (
                select distinct trim(order_id) from day_one_order_items order by 1 limit 5
            )"""
        )
        for table in ["customers", "orders", "order_items", "returns"]:
            for folder in (day_one, day_two):
                (folder / table).mkdir(parents=True)
            con.execute(f"copy day_one_{table} to '{day_one / table / '0001.csv'}' (header)")
            added = f"select * from {table} except all select * from day_one_{table}"
            con.execute(f"copy ({added}) to '{day_two / table / '0002.csv'}' (header)")  # noqa: S608
            added_rows = con.execute(f"select count(*) from ({added})").fetchone()[0]  # noqa: S608
            assert added_rows > 0, f"day two adds no {table}"


def trained_at(database: Path) -> tuple:
    """When the repurchase probability's training snapshots were last trained, and evaluated."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            """select
                (select max(trained_at) from main_intermediate.int_repurchase_training_snapshots),
                (select max(evaluated_at) from main_intermediate.int_repurchase_evaluation)"""
        ).fetchone()


def recomputed(database: Path, model: str) -> tuple[int, int]:
    """Rows of an incremental per-customer model that its last build computed, and all its rows."""
    with duckdb.connect(str(database), read_only=True) as con:
        table = f"main_intermediate.{model}"
        latest = f"select max(computed_at) from {table}"
        return con.execute(f"select count(*) filter (where computed_at = ({latest})), count(*) from {table}").fetchone()  # noqa: S608


def differing_rows(one: Path, other: Path, table: str, schema: str) -> int:
    """Rows of the table in either database that the other lacks (as multisets), bookkeeping aside."""
    with duckdb.connect() as con:
        # Attached under their own names: staging views name the database they were built in.
        con.execute(f"attach '{one}' as {one.stem} (read_only)")
        con.execute(f"attach '{other}' as {other.stem} (read_only)")
        columns = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                f"where table_catalog = '{one.stem}' and table_schema = '{schema}' and table_name = '{table}' "
                f"and column_name not in {tuple(BOOKKEEPING)} order by ordinal_position"
            ).fetchall()
        ]
        assert columns, f"{schema}.{table} not found"
        select = ", ".join(f'"{column}"' for column in columns)
        left, right = f"{one.stem}.{schema}.{table}", f"{other.stem}.{schema}.{table}"
        return con.execute(
            f"""select count(*) from (
                (select {select} from {left} except all select {select} from {right})
                union all
                (select {select} from {right} except all select {select} from {left})
            )"""
        ).fetchone()[0]  # noqa: S608


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    full = tmp_path_factory.mktemp("generated")
    write(GeneratorConfig(customers=1500, seed=11), full, "csv")
    root = tmp_path_factory.mktemp("days")
    write_days(full, root / "day_one", root / "day_two")
    return root / "day_one", root / "day_two"


def test_an_incremental_build_equals_a_full_build(run_dbt, days: tuple[Path, Path], tmp_path: Path) -> None:
    day_one, day_two = days
    raw = tmp_path / "raw"  # one folder, as a shop's loads land: the same raw_data_dir both days
    shutil.copytree(day_one, raw)
    incremental_db, full_db = tmp_path / "incremental_build.duckdb", tmp_path / "full_build.duckdb"
    vars = {"raw_data_dir": str(raw)}

    first = run_dbt("build", *NO_UNIT_TESTS, vars=vars, database=incremental_db)
    assert first.returncode == 0, first.output
    shutil.copytree(day_two, raw, dirs_exist_ok=True)  # each table's folder gains its second load
    second = run_dbt("build", *NO_UNIT_TESTS, vars=vars, database=incremental_db)
    assert second.returncode == 0, second.output
    assert "Incremental stg_shop__order_rows: 1 new load file(s) of orders to stage." in second.output

    full = run_dbt("build", *NO_UNIT_TESTS, "--full-refresh", vars=vars, database=full_db)
    assert full.returncode == 0, full.output
    # Day two's newer versions rejected day-one orders, and so the lines staged with them on day one.
    assert full.scalar(
        """select count(*) from stg_shop__order_item_rows
        where rejection_reason = 'order_rejected' and order_id in (
            select order_id from stg_shop__order_rows
            where rejection_reason = 'negative_order_total' and updated_at = '2024-12-31 12:00:00'
        )"""
    ), "no day-one order was rejected on day two"

    # The second build staged and computed only part of the rows: it was incremental.
    for model in STAGED:
        redone, total = second.query(
            f"select count(*) filter (where staged_at = (select max(staged_at) from {model})), count(*) from {model}"
        )[0]  # noqa: S608
        assert 0 < redone < total * 0.5, f"{model}: {redone} of {total} rows staged again"
    for model in REFRESHED:
        redone, total = recomputed(incremental_db, model)
        assert 0 < redone < total * 0.5, f"{model}: {redone} of {total} rows computed again"
    assert_same_rows(incremental_db, full_db)

    # An as-of date earlier than the last build's recomputes every customer, as a full build would.
    earlier = {**vars, "as_of_date": "2024-06-30"}
    third = run_dbt("run", vars=earlier, database=incremental_db)
    assert third.returncode == 0, third.output
    for model in REFRESHED:
        redone, total = recomputed(incremental_db, model)
        assert redone == total, f"{model}: {redone} of {total} rows computed again"
    full = run_dbt("run", "--full-refresh", vars=earlier, database=full_db)
    assert full.returncode == 0, full.output
    assert_same_rows(incremental_db, full_db)

    # A later as-of date over the same rows recomputes the customers active in between.
    later = {**vars, "as_of_date": "2024-09-30"}
    fourth = run_dbt("run", vars=later, database=incremental_db)
    assert fourth.returncode == 0, fourth.output
    for model in REFRESHED:
        redone, total = recomputed(incremental_db, model)
        assert 0 < redone < total, f"{model}: {redone} of {total} rows computed again"
    full = run_dbt("run", "--full-refresh", vars=later, database=full_db)
    assert full.returncode == 0, full.output
    assert_same_rows(incremental_db, full_db)

    # Within the same month (the repurchase probability's training anchor, 2024-09-01) and over the
    # same rows, the training stands: int_repurchase_training_snapshots is not trained again, nor
    # int_repurchase_evaluation evaluated again.
    same_anchor = {**vars, "as_of_date": "2024-09-20"}
    trained = trained_at(incremental_db)
    fifth = run_dbt("run", vars=same_anchor, database=incremental_db)
    assert fifth.returncode == 0, fifth.output
    assert trained_at(incremental_db) == trained
    full = run_dbt("run", "--full-refresh", vars=same_anchor, database=full_db)
    assert full.returncode == 0, full.output
    assert_same_rows(incremental_db, full_db)

    # A load cancelling an order the training learned from (dated before the anchor) trains again.
    with duckdb.connect(str(full_db), read_only=True) as con:
        learned = con.execute(
            "select min(order_id) from main_intermediate.int_counted_orders where order_date < '2024-08-01'"
        ).fetchone()[0]
    with duckdb.connect() as con:
        con.execute(
            f"""copy (
                select * replace ('cancelled' as status, '2024-12-31 23:00:00' as updated_at)
                from read_csv('{raw / "orders" / "0001.csv"}', all_varchar = true)
                where trim(order_id) = '{learned}'
            ) to '{raw / "orders" / "0003.csv"}' (header)"""  # noqa: S608
        )
    sixth = run_dbt("run", vars=same_anchor, database=incremental_db)
    assert sixth.returncode == 0, sixth.output
    assert all(now > before for now, before in zip(trained_at(incremental_db), trained, strict=True))
    full = run_dbt("run", "--full-refresh", vars=same_anchor, database=full_db)
    assert full.returncode == 0, full.output
    assert_same_rows(incremental_db, full_db)

    # In the shop's second month no snapshot has a customer yet: the training comes out empty and
    # replaces nothing in the store, whose earlier rows int_repurchase_snapshots no longer shows.
    empty = {**vars, "as_of_date": "2022-02-15"}
    seventh = run_dbt("run", vars=empty, database=incremental_db)
    assert seventh.returncode == 0, seventh.output
    with duckdb.connect(str(incremental_db), read_only=True) as con:
        stored, shown = (
            con.execute(f"select count(*) from main_intermediate.{model}").fetchone()[0]  # noqa: S608
            for model in ["int_repurchase_training_snapshots", "int_repurchase_snapshots"]
        )
    assert (stored > 0, shown) == (True, 0)
    full = run_dbt("run", "--full-refresh", vars=empty, database=full_db)
    assert full.returncode == 0, full.output
    assert_same_rows(incremental_db, full_db)

    # A change of rules recomputes every row (here a var read by int_accepted_returns).
    other_rules = run_dbt("run", vars={**later, "quick_return_hours": 24}, database=incremental_db)
    assert other_rules.returncode == 0, other_rules.output
    for model in REFRESHED:
        redone, total = recomputed(incremental_db, model)
        assert redone == total, f"{model}: {redone} of {total} rows computed again"


def assert_same_rows(incremental_db: Path, full_db: Path) -> None:
    """Every staged row, rejection, incremental intermediate row and mart agrees between the two builds."""
    differing = {
        **{model: differing_rows(incremental_db, full_db, model, "main_staging") for model in STAGED},
        "stg_shop__rejected_rows": differing_rows(incremental_db, full_db, "stg_shop__rejected_rows", "main_staging"),
        **{
            model: differing_rows(incremental_db, full_db, model, "main_intermediate")
            for model in REFRESHED + ROW_LEVEL + TRAINED
        },
        **{mart: differing_rows(incremental_db, full_db, mart, "main") for mart in MARTS},
    }
    assert differing == dict.fromkeys(differing, 0)


def test_a_staging_table_from_before_load_batches_asks_for_a_full_refresh(run_dbt) -> None:
    staging = ["--select", "+path:models/staging", *NO_UNIT_TESTS]
    built = run_dbt("build", *staging)
    assert built.returncode == 0, built.output
    with duckdb.connect(str(built.database)) as con:  # as a table built before load_id existed
        con.execute("alter table main_staging.stg_shop__order_rows drop column load_id")
    refused = run_dbt("run", "--select", "stg_shop__order_rows")
    assert refused.returncode != 0
    assert "stg_shop__order_rows was built by a version of the project without load batches" in refused.output
    assert "--full-refresh" in refused.output
    rebuilt = run_dbt("build", *staging, "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.output


def test_a_daily_build_reads_only_the_loads_holding_its_keys(run_dbt, tmp_path: Path) -> None:
    """A daily build of a shop in daily loads reads the new load and, again, only the staged loads
    holding a key it names (the logged count, against an independent count from the raw files), and
    still equals a full build."""
    shop = tmp_path / "shop"
    write(GeneratorConfig(customers=300, seed=5), shop, "parquet", loads="daily")
    newest = max(path.name for path in (shop / "orders").iterdir())
    raw = tmp_path / "raw"
    shutil.copytree(shop, raw, ignore=shutil.ignore_patterns(newest))
    incremental_db, full_db = tmp_path / "incremental_build.duckdb", tmp_path / "full_build.duckdb"
    vars = {"raw_data_dir": str(raw)}
    first = run_dbt("build", "--exclude", "test_type:data", "test_type:unit", vars=vars, database=incremental_db)
    assert first.returncode == 0, first.output

    # At most these staged loads are needed again: those holding any id the new loads name, or a
    # row a future date holds back.
    ids = {"customers": ["customer_id"], "orders": ["order_id", "customer_id"],
           "order_items": ["order_id"], "returns": ["return_id", "order_id"]}  # fmt: skip
    with duckdb.connect(str(incremental_db), read_only=True) as con:
        held_back = {
            row[0]
            for model in STAGED
            for row in con.execute(
                f"select load_id from main_staging.{model} where rejection_reason like 'future_%'"  # noqa: S608
            ).fetchall()
        }
    needed, staged = {}, {}
    with duckdb.connect() as con:
        named = " union all ".join(
            f"select trim(cast({column} as varchar)) from read_parquet('{path}')"
            for table, columns in ids.items()
            for path in [shop / table / newest]
            if path.exists()
            for column in columns
        )
        con.execute(f"create table named as {named}")  # noqa: S608
        for table, columns in ids.items():
            condition = " or ".join(f"trim(cast({column} as varchar)) in (select * from named)" for column in columns)
            loads = sorted((raw / table).iterdir())
            staged[table] = len(loads)
            needed[table] = sum(
                path.name in held_back
                or con.execute(f"select count(*) > 0 from read_parquet('{path}') where {condition}").fetchone()[0]  # noqa: S608
                for path in loads
            )

    for table in ids:
        if (shop / table / newest).exists():
            shutil.copy(shop / table / newest, raw / table / newest)
    second = run_dbt("build", "--exclude", "test_type:data", "test_type:unit", vars=vars, database=incremental_db)
    assert second.returncode == 0, second.output
    model = {"customers": "customer_rows", "orders": "order_rows", "order_items": "order_item_rows",
             "returns": "return_rows"}  # fmt: skip
    for table, rows_model in model.items():
        read = re.search(rf"Incremental stg_shop__{rows_model}: reading (\d+) staged load", second.output)
        assert read, f"stg_shop__{rows_model} logged no loads read again"
        assert int(read.group(1)) <= needed[table] < staged[table], (table, read.group(1), needed[table])

    full = run_dbt(
        "build", "--exclude", "test_type:data", "test_type:unit", "--full-refresh", vars=vars, database=full_db
    )
    assert full.returncode == 0, full.output
    assert_same_rows(incremental_db, full_db)
