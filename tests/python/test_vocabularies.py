"""Real shops' order statuses map onto the contract's vocabulary, and a build names what it could not map.

Each platform's statuses, spelled as the platform exports them, are staged through the project's
order_status_synonyms seed (docs/raw-data-contract.md, "Vocabularies", gives the reasoning).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# The statuses each platform writes, and the contract status each must become.
PLATFORM_STATUSES = {
    "olist": {
        "created": "placed",
        "approved": "paid",
        "invoiced": "paid",
        "processing": "paid",
        "shipped": "shipped",
        "delivered": "delivered",
        "canceled": "cancelled",
        "unavailable": "cancelled",
    },
    "woocommerce": {
        "pending": "placed",
        "on-hold": "placed",
        "processing": "paid",
        "completed": "completed",
        "cancelled": "cancelled",
        "refunded": "returned",
        "failed": "failed",
        "checkout-draft": "cancelled",
    },
    "magento": {
        "pending": "placed",
        "pending_payment": "placed",
        "payment_review": "placed",
        "holded": "placed",
        "processing": "paid",
        "complete": "completed",
        "closed": "completed",
        "canceled": "cancelled",
        "fraud": "failed",
    },
    "shopify financial_status": {
        "pending": "placed",
        "authorized": "paid",
        "partially_paid": "paid",
        "paid": "paid",
        "partially_refunded": "partially_returned",
        "refunded": "returned",
        "voided": "cancelled",
        "expired": "failed",
    },
    "shopify fulfillment_status": {
        "unfulfilled": "placed",
        "scheduled": "paid",
        "on_hold": "placed",
        "partial": "shipped",
        "fulfilled": "completed",
        "restocked": "cancelled",
    },
    "shopify order status": {
        "open": "placed",
        "closed": "completed",
        "archived": "completed",
        "cancelled": "cancelled",
    },
}
UNMATCHED = "On Layaway"
# Staging and its seeds, without the tests.
STAGING_ONLY = (
    "build",
    "--select",
    "+stg_shop__rejected_rows",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
)


def test_every_platform_status_maps_and_the_summary_names_an_unmatched_spelling(run_dbt, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    orders = [
        (f"{platform}|{spelling}", spelling)
        for platform, statuses in PLATFORM_STATUSES.items()
        for spelling in statuses
    ]
    orders += [("unmatched-1", UNMATCHED), ("unmatched-2", UNMATCHED)]
    with duckdb.connect() as con:
        con.execute(f"copy (select 'c1' as customer_id) to '{raw / 'customers.csv'}' (header)")
        con.execute("create table orders (order_id varchar, status varchar)")
        con.executemany("insert into orders values (?, ?)", orders)
        con.execute(
            "copy (select order_id, 'c1' as customer_id, '2024-01-01' as ordered_at, status, '10' as order_total"
            f" from orders) to '{raw / 'orders.csv'}' (header)"
        )

    result = run_dbt(*STAGING_ONLY, vars={"raw_data_dir": str(raw)})
    assert result.returncode == 0, result.output

    staged = dict(result.query("select order_id, order_status from main_staging.stg_shop__order_rows"))
    wrong = {
        f"{platform}: {spelling}": (staged[f"{platform}|{spelling}"], expected)
        for platform, statuses in PLATFORM_STATUSES.items()
        for spelling, expected in statuses.items()
        if staged[f"{platform}|{spelling}"] != expected
    }
    assert not wrong, f"(staged, expected) per status: {wrong}"
    assert staged["unmatched-1"] is None

    assert "Rejected rows (2 in stg_shop__rejected_rows):" in result.output
    assert "orders: 2 unknown_status" in result.output
    assert f"most frequent: '{UNMATCHED}' (2)" in result.output
    assert "seeds/vocabularies/order_status_synonyms.csv" in result.output


def test_a_build_without_rejections_says_so(run_dbt, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    with duckdb.connect() as con:
        con.execute(f"copy (select 'c1' as customer_id) to '{raw / 'customers.csv'}' (header)")
        con.execute(
            "copy (select 'o1' as order_id, 'c1' as customer_id, '2024-01-01' as ordered_at, 'Processing' as status,"
            f" '10' as order_total) to '{raw / 'orders.csv'}' (header)"
        )
    result = run_dbt(*STAGING_ONLY, vars={"raw_data_dir": str(raw)})
    assert result.returncode == 0, result.output
    assert "Rejected rows: none" in result.output
