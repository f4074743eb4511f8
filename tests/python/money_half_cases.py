"""Customers whose average order value is an exact half in the fifth decimal, for the
cross-engine tests (test_postgres.py, test_spark.py).

The shipped sample happens to hold no such average, so those tests build the sample with
these customers appended. Every average here was rounded down by the former
`cast(avg(order_total) as decimal(18, 4))` on DuckDB, which averages through a double
(162.67 / 8 = 20.33375 became 20.333749999999998, so 20.3337), and up on Postgres and
Spark, which average exactly. The rule (macros/cross_database/money_ratio.sql,
DECISIONS.md "Money"): the exact quotient, rounded half away from zero to 4 decimals.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

from reference_segmentation import ORDER_COLUMNS, RETURN_COLUMNS, money_ratio

# Ids far above the sample's (customers up to 3000, orders 30052, returns under 4000).
# customer_id -> (order totals kept, order totals returned in full)
CUSTOMERS: dict[str, tuple[list[str], list[str]]] = {
    # The case: 162.67 / 8 = 20.33375.
    "900001": (["20.33"] * 7 + ["20.36"], []),
    # 323.53 / 8 = 40.44125 over the kept orders; a ninth order returned in full is left out.
    "900002": (["21.36", "48.55", "49.37", "67.81", "13.76", "27.36", "11.89", "83.43"], ["75.00"]),
    # 2,017.35 / 40 = 50.43375.
    "900003": (["50.43"] * 39 + ["50.58"], []),
    # Four-decimal totals: 38.0579 / 2 = 19.02895.
    "900004": (["18.7395", "19.3184"], []),
}

CUSTOMER_HEADER = ["customer_id", "email", "full_name", "age", "gender", "location", "created_at", "updated_at"]


def half_up(total: Decimal, count: int) -> Decimal | None:
    """The rule in Python (the independent check's): the exact quotient to 4 decimals, ties away from zero."""
    return money_ratio(int(total.scaleb(4)), count)


def expected() -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """Per customer: avg_order_value (kept orders) and average_order_value (every counted order)."""
    values = {}
    for customer_id, (kept, returned) in CUSTOMERS.items():
        kept_totals = [Decimal(total) for total in kept]
        exact = sum(kept_totals) / len(kept_totals)
        assert exact.as_tuple().exponent == -5 and exact.as_tuple().digits[-1] == 5, (customer_id, exact)
        all_totals = kept_totals + [Decimal(total) for total in returned]
        values[customer_id] = (
            half_up(sum(kept_totals), len(kept_totals)),
            half_up(sum(all_totals), len(all_totals)),
        )
    return values


def rows() -> dict[str, list[list[str]]]:
    """The raw rows of these customers, their orders (spread over 2024, before the sample's
    latest order, so the default as-of date stays 2025-01-01) and the returns."""
    customers, orders, returns = [], [], []
    for number, (customer_id, (kept, returned)) in enumerate(CUSTOMERS.items(), start=1):
        customers.append([
            customer_id, f"half{number}@example.org", f"Half Case {number}", "40", "F", "Berlin, DE",
            "2023-06-01 09:00:00", "2023-06-01 09:00:00",
        ])  # fmt: skip
        for index, total in enumerate(kept + returned):
            order_id = f"{customer_id}{index:03d}"
            month, day = 1 + index % 10, 1 + index // 10 * 7
            ordered_at = f"2024-{month:02d}-{day:02d} 10:00:00"
            delivered_at = f"2024-{month:02d}-{day + 3:02d} 10:00:00"
            orders.append([order_id, customer_id, ordered_at, "delivered", total, "EUR", delivered_at, delivered_at])
            if index >= len(kept):
                requested_at = f"2024-{month:02d}-{day + 5:02d} 10:00:00"
                returns.append([order_id, order_id, "", requested_at, total, "too small", "1", "refunded"])
    return {"customers": customers, "orders": orders, "returns": returns}


def sample_with_half_cases(sample_dir: Path, folder: Path) -> Path:
    """The shipped sample's raw files (seeds/sample/raw_<table>.csv) as <table>.csv in folder,
    with these customers' rows appended."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = rows()
    headers = {"customers": CUSTOMER_HEADER, "orders": ORDER_COLUMNS, "returns": RETURN_COLUMNS}
    for source in sorted(sample_dir.glob("raw_*.csv")):
        table = source.stem.removeprefix("raw_")
        target = folder / f"{table}.csv"
        shutil.copy(source, target)
        if table not in extra:
            continue
        with source.open(newline="", encoding="utf-8") as file:
            assert next(csv.reader(file)) == headers[table], f"{source}: columns changed"
        with target.open("rb") as file:
            file.seek(-1, 2)
            ends_with_newline = file.read(1) == b"\n"
        with target.open("a", newline="", encoding="utf-8") as file:
            if not ends_with_newline:
                file.write("\n")
            csv.writer(file, lineterminator="\n").writerows(extra[table])
    return folder
