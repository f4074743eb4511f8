"""The generator: deterministic, realistic, and as dirty as the raw data contract says."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from risk_segmentation.cli import main
from risk_segmentation.generator import TABLES, GeneratorConfig, write


def digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_same_seed_gives_the_same_bytes(tmp_path: Path, file_format: str) -> None:
    config = GeneratorConfig(customers=500, seed=11)
    write(config, tmp_path / "a", file_format)
    write(config, tmp_path / "b", file_format)
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert sorted(digests(tmp_path / "a")) == sorted(f"{table}.{file_format}" for table in TABLES)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    write(GeneratorConfig(customers=500, seed=11), tmp_path / "a")
    write(GeneratorConfig(customers=500, seed=12), tmp_path / "b")
    assert digests(tmp_path / "a")["orders.csv"] != digests(tmp_path / "b")["orders.csv"]


def test_orders_scale_with_customers_and_most_buyers_order_once_or_twice(generated_csv: Path) -> None:
    with duckdb.connect() as con:
        orders_per_customer = con.execute(
            f"""
            select count(*) as orders
            from read_csv('{generated_csv / "orders.csv"}', all_varchar = true)
            group by customer_id
            """
        ).fetchnumpy()["orders"]
    assert 8 <= orders_per_customer.mean() <= 13  # about 10 orders per customer
    assert (orders_per_customer <= 2).mean() > 0.5  # most buyers order once or twice
    assert orders_per_customer.max() >= 50  # and a long tail orders a lot


def test_every_kind_of_dirt_in_the_contract_is_present(generated_csv: Path) -> None:
    def count(table: str, where: str) -> int:
        with duckdb.connect() as con:
            return con.execute(
                f"select count(*) from read_csv('{generated_csv / table}.csv', all_varchar = true) where {where}"
            ).fetchone()[0]

    dirt = {
        "duplicate customer versions": count(
            "customers",
            "customer_id in (select customer_id from read_csv("
            f"'{generated_csv / 'customers.csv'}', all_varchar = true) "
            "group by 1 having count(*) > 1)",
        ),
        "padded, mixed-case e-mails": count("customers", "email != lower(trim(email))"),
        "out-of-range ages": count("customers", "try_cast(age as int) not between 13 and 110 or age = 'unknown'"),
        "duplicate order exports": count(
            "orders",
            "order_id in (select order_id from read_csv("
            f"'{generated_csv / 'orders.csv'}', all_varchar = true) "
            "group by 1 having count(*) > 1)",
        ),
        "slash dates": count("orders", "ordered_at like '____/__/__'"),
        "dates with a zone offset": count("orders", "ordered_at like '%+01:00'"),
        "unparseable dates": count(
            "orders", "ordered_at in ('not a date', '2023-02-30', '31/12/2023', '2024-13-01', 'yesterday')"
        ),
        "null totals": count("orders", "order_total is null"),
        "negative totals": count("orders", "order_total like '-%'"),
        "non-numeric totals": count("orders", "order_total = 'N/A'"),
        "unknown statuses": count("orders", "status in ('lost_in_space', '???', 'pending_review', 'on hold?')"),
        "orphan orders": count("orders", "customer_id::bigint >= 900000000"),
        "non-positive quantities": count("order_items", "quantity::int <= 0"),
        "returns of unknown orders": count(
            "returns",
            "order_id::bigint > (select max(order_id::bigint) from "
            f"read_csv('{generated_csv / 'orders.csv'}', all_varchar = true))",
        ),
        "vague reasons": count("returns", "trim(coalesce(reason, '')) in ('', 'other', 'Other', 'n/a')"),
    }
    assert {kind: n for kind, n in dirt.items() if n == 0} == {}


def test_dirt_zero_writes_clean_data(tmp_path: Path) -> None:
    write(GeneratorConfig(customers=500, seed=3, dirt=0), tmp_path)
    with duckdb.connect() as con:
        bad_totals = con.execute(
            f"select count(*) from read_csv('{tmp_path / 'orders.csv'}', all_varchar = true) "
            "where order_total is null or order_total like '-%' or order_total = 'N/A'"
        ).fetchone()[0]
    assert bad_totals == 0


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="customers"):
        GeneratorConfig(customers=0)


# ---- daily load files (--loads daily) -------------------------------------------------------

DAILY_CONFIG = GeneratorConfig(customers=600, seed=7)  # a seed with dirty dates in customers and orders


@pytest.fixture(scope="module")
def single_and_daily(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same shop as one CSV file per table and as daily CSV loads."""
    single, daily = tmp_path_factory.mktemp("single"), tmp_path_factory.mktemp("daily")
    write(DAILY_CONFIG, single)
    write(DAILY_CONFIG, daily, loads="daily")
    return single, daily


def data_lines(*paths: Path) -> Counter[str]:
    """The rows of CSV files (each file's header left out), as a multiset of lines."""
    return Counter(line for path in paths for line in path.read_text().splitlines()[1:])


def test_the_default_is_one_file_per_table_and_daily_loads_one_folder(single_and_daily: tuple[Path, Path]) -> None:
    single, daily = single_and_daily
    assert sorted(path.name for path in single.iterdir()) == sorted(f"{table}.csv" for table in TABLES)
    assert all(path.is_file() for path in single.iterdir())
    assert sorted(path.name for path in daily.iterdir()) == sorted(TABLES)
    assert all(path.is_dir() for path in daily.iterdir())


def test_daily_loads_hold_exactly_the_rows_of_the_single_file(single_and_daily: tuple[Path, Path]) -> None:
    single, daily = single_and_daily
    for table in TABLES:
        loads = sorted((daily / table).iterdir())
        assert len(loads) > 300, table  # years of history: hundreds of days with data
        assert data_lines(*loads) == data_lines(single / f"{table}.csv"), table


def test_daily_loads_are_named_by_day_in_date_order_and_each_has_the_header(
    single_and_daily: tuple[Path, Path],
) -> None:
    single, daily = single_and_daily
    for table in TABLES:
        header = (single / f"{table}.csv").read_text().splitlines()[0]
        names = sorted(path.name for path in (daily / table).iterdir())
        days = [date.fromisoformat(name.removesuffix(".csv")) for name in names]  # every name is a day
        assert names == [f"{day.isoformat()}.csv" for day in sorted(days)], table  # name order is date order
        for name in names:
            lines = (daily / table / name).read_text().splitlines()
            assert lines[0] == header and len(lines) > 1, (table, name)  # a header and at least one row


def test_each_row_is_in_the_load_of_the_day_it_became_known(single_and_daily: tuple[Path, Path]) -> None:
    _, daily = single_and_daily

    def read(table: str) -> str:
        return (
            f"(select *, strptime(parse_filename(filename, true), '%Y-%m-%d')::date as load_day "
            f"from read_csv('{daily / table}/*.csv', all_varchar = true, filename = true, header = true, "
            "delim = ',', quote = '\"', escape = '\"'))"
        )

    def moment(column: str) -> str:  # any spelling the contract allows, else null
        return f"coalesce(try_cast({column} as timestamptz), try_strptime({column}, '%Y/%m/%d'))"

    def day(column: str) -> str:  # in UTC
        return f"{moment(column)}::date"

    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")

        def placement(table: str, key: str, known: str) -> dict[str, int]:
            """How each row of customers or orders was placed: by its date, as a later version on its
            updated_at day, with a date that is dirt in the table's first load, or otherwise (wrong)."""
            rows = con.execute(f"""
                with load_rows as (
                    select
                        load_day,
                        {day(known)} as known_day,
                        {day("updated_at")} as updated_day,
                        coalesce(
                            {key} is not null
                            and {moment("updated_at")} > min({moment("updated_at")}) over (partition by {key}),
                            false
                        ) as later_version
                    from {read(table)}
                )
                select
                    case
                        when load_day = known_day and not later_version then 'by date'
                        when later_version and load_day = updated_day then 'later version'
                        when known_day is null and load_day = (select min(load_day) from load_rows) then 'dirt'
                        else 'wrong'
                    end as placed,
                    count(*)
                from load_rows
                group by 1
            """).fetchall()
            return dict(rows)

        customers = placement("customers", "customer_id", "created_at")
        orders = placement("orders", "order_id", "ordered_at")
        assert "wrong" not in customers and "wrong" not in orders, (customers, orders)
        for placed in (customers, orders):
            assert placed["later version"] > 0 and placed["dirt"] > 0 and placed["by date"] > 0.9 * sum(placed.values())

        # A return by its request day, or in the first load when that date is dirt.
        first_load = f"(select min(load_day) from {read('returns')})"
        misplaced_returns = con.execute(f"""
            select count(*) from {read("returns")}
            where load_day is distinct from coalesce({day("requested_at")}, {first_load})
        """).fetchone()[0]
        assert misplaced_returns == 0
        # An order line in the first load of its order.
        misplaced_lines = con.execute(f"""
            select count(*)
            from {read("order_items")} as line
            left join (select order_id, min(load_day) as load_day from {read("orders")} group by 1) as first_version
                using (order_id)
            where line.load_day is distinct from first_version.load_day
        """).fetchone()[0]
        assert misplaced_lines == 0


def test_daily_parquet_loads_hold_the_rows_and_a_rerun_leaves_no_stale_load(tmp_path: Path) -> None:
    config = GeneratorConfig(customers=300, seed=11)
    write(config, tmp_path / "single", "parquet")
    write(config, tmp_path / "daily", "parquet", loads="daily")
    write(GeneratorConfig(customers=300, seed=12), tmp_path / "rerun", "parquet", loads="daily")
    write(config, tmp_path / "rerun", "parquet", loads="daily")  # over another seed's loads
    with duckdb.connect() as con:
        for table in TABLES:
            one, loads = (
                f"read_parquet('{tmp_path / 'single' / table}.parquet')",
                f"read_parquet('{tmp_path / 'daily' / table}/*.parquet')",
            )
            assert con.execute(f"describe from {one}").fetchall() == con.execute(f"describe from {loads}").fetchall()
            only_one, only_loads = con.execute(
                f"select (select count(*) from (from {one} except all from {loads})), "
                f"(select count(*) from (from {loads} except all from {one}))"
            ).fetchone()
            assert (only_one, only_loads) == (0, 0), table
            assert digests(tmp_path / "daily" / table) == digests(tmp_path / "rerun" / table), table


def test_the_cli_writes_daily_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--customers", "100", "--loads", "daily", "--out", str(tmp_path)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(TABLES)
    assert "daily load files" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["generate", "--customers", "100", "--loads", "hourly", "--out", str(tmp_path)])
