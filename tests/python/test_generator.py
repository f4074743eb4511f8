"""The generator: deterministic, realistic, and as dirty as the raw data contract says."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

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
