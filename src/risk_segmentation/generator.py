"""Deterministic generator of a shop's raw customers, orders, order lines and returns.

Every random draw comes from one numpy Generator seeded by ``seed``, in a fixed
order, and every table is written sorted by its key, so the same arguments give
the same bytes. Numbers and vocabulary codes are drawn with vectorised numpy;
DuckDB turns codes into text and writes the files. Nothing loops over rows in
Python, so a million customers with ten million orders take seconds.

The data follows docs/raw-data-contract.md, dirt included: every kind of bad
row the contract lists appears at a small rate (``dirt`` scales all rates; 0
writes clean data).

Each table is one file, ``<table>.<format>``, or with ``loads="daily"`` (``generate --loads
daily``) a folder of daily load files, ``<table>/<YYYY-MM-DD>.<format>``, as the contract's load
batches: every row in the load of the day it became known (see _write_daily). The loads of a
table together hold exactly the rows of its single file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

TABLES = ("customers", "orders", "order_items", "returns")


class Vocabulary:
    """Text values drawn by integer code, so numpy never handles Python strings.

    ``spellings`` maps each clean value to its raw spellings. ``draw`` turns clean
    codes into the codes of one random raw spelling each; ``sql`` renders the
    DuckDB expression that looks the text up (code -1 is null).
    """

    def __init__(self, spellings: dict[str, list[str]] | list[str]) -> None:
        if isinstance(spellings, list):
            spellings = {value: [value] for value in spellings}
        self.clean = list(spellings)
        self.flat = [text for variants in spellings.values() for text in variants]
        self.count = np.array([len(variants) for variants in spellings.values()])
        self.offset = np.concatenate([[0], np.cumsum(self.count)[:-1]])

    def __len__(self) -> int:
        return len(self.flat)

    def code(self, value: str) -> int:
        return self.clean.index(value)

    def draw(self, rng: np.random.Generator, clean_codes: np.ndarray) -> np.ndarray:
        """The code of one random raw spelling of each clean code."""
        pick = (rng.random(len(clean_codes)) * self.count[clean_codes]).astype(np.int64)
        return self.offset[clean_codes] + pick

    def any(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Codes drawn uniformly from every spelling."""
        return rng.integers(0, len(self.flat), size)

    def sql(self, code: str) -> str:
        quoted = ", ".join("'" + text.replace("'", "''") + "'" for text in self.flat)
        return f"(case when {code} < 0 then null else [{quoted}][{code} + 1] end)"


CATEGORIES = Vocabulary(
    ["dresses", "tops", "trousers", "shoes", "outerwear", "knitwear",
     "accessories", "bags", "sportswear", "swimwear", "home", "beauty"]
)  # fmt: skip
SIZED_CATEGORIES = 6  # the first six categories come in sizes: bracketers' territory
VARIANTS = Vocabulary(["XS", "S", "M", "L", "XL", "black", "white", "navy", "red", "green"])
REASONS = Vocabulary(
    {
        "specific": ["too small", "too large", "damaged on arrival", "wrong item sent",
                     "not as described", "poor quality", "arrived too late", "colour differs from photo"],
        "vague": ["changed my mind", "other", "no reason", "n/a", "", "  ", "Other"],
    }
)  # fmt: skip
ORDER_STATUSES = Vocabulary(
    {
        "placed": ["placed", "Placed", "new", "PENDING"],
        "paid": ["paid", "PAID", "Payment Received"],
        "shipped": ["shipped", "Shipped", "in transit", "dispatched"],
        "delivered": ["delivered", "Delivered", "DELIVERED "],
        "completed": ["completed", "Completed", " complete", "COMPLETE", "fulfilled"],
        "returned": ["returned", "Returned", "RETURNED"],
        "partially_returned": ["partially_returned", "Partially Returned", "partial-return"],
        "cancelled": ["cancelled", "Canceled", "CANCELLED", "voided"],
        "failed": ["failed", "payment_failed", "Failed", "fraud"],
        "unmappable": ["lost_in_space", "???", "pending_review", "on hold?"],
    }
)
GENDERS = Vocabulary(
    {
        "female": ["F", "f", "female", "Female", " woman", "FEMALE"],
        "male": ["M", "m", "male", "Male ", "man", "MALE"],
        "non_binary": ["non-binary", "Non Binary", "nb", "NB"],
        "unknown": ["", "unknown", "prefer not to say", "x", "?"],
    }
)
RETURN_STATUSES = Vocabulary(
    {
        "requested": ["requested", "Requested", "REQUESTED", "pending"],
        "approved": ["approved", "Approved"],
        "received": ["received", "Received", "RECEIVED "],
        "refunded": ["refunded", "Refunded", "REFUNDED", "refund issued"],
        "rejected": ["rejected", "Rejected", "denied"],
    }
)
TRACKING = Vocabulary(
    {"true": ["true", "TRUE", "yes", "1", "Yes", "t"], "false": ["false", "FALSE", "no", "0", "No", "f"]}
)
CITIES = Vocabulary(
    ["berlin, DE", "Hamburg, de", "MUNICH, DE", "paris, FR", "Lyon, fr", "madrid, ES",
     "Barcelona, es", "milan, IT", "rome, it", "Amsterdam, NL", "vienna, AT",
     "Zurich, CH", "london, GB", "Manchester, gb", "dublin, IE", "Warsaw, PL",
     "prague, CZ", "Copenhagen, DK", "stockholm, SE", "Oslo, no"]
)  # fmt: skip
FIRST_NAMES = Vocabulary(
    ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas",
     "Klara", "Leon", "Mia", "Noah", "Olivia", "Paul", "Rosa", "Samuel", "Tara", "Yusuf"]
)  # fmt: skip
LAST_NAMES = Vocabulary(
    ["Schmidt", "Martin", "Garcia", "Rossi", "de Vries", "Novak", "Murphy", "Jensen",
     "Dubois", "Kowalski", "Silva", "Fischer", "Moreau", "Bianchi", "Larsen", "Smith"]
)  # fmt: skip
BAD_DATES = Vocabulary(["not a date", "2023-02-30", "31/12/2023", "2024-13-01", "yesterday"])
ORPHAN_CUSTOMER_BASE = 900_000_000  # customer ids of orphan orders: above any real one
BAD_AGES = Vocabulary(["-1", "7", "150", "unknown"])

# Return behaviour classes: (share of customers, chance that a delivered order has a
# return). Each non-typical class is a pattern the return-risk mart looks for.
BEHAVIOURS = {
    "keeper": (0.30, 0.01),
    "typical": (0.555, 0.09),
    "serial_returner": (0.03, 0.55),
    "bracketer": (0.04, 0.25),
    "wear_and_return": (0.025, 0.40),
    "escalating": (0.025, 0.35),
    "no_tracking": (0.025, 0.30),
}
BEHAVIOUR = {name: code for code, name in enumerate(BEHAVIOURS)}
RETURN_PRONE = BEHAVIOUR["serial_returner"]  # this code and every later one


@dataclasses.dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 3000
    seed: int = 42
    orders_per_customer: float = 10.0
    start: str = "2022-01-01"
    end: str = "2024-12-31"
    dirt: float = 1.0
    products: int = 400

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("customers must be at least 1")
        if self.orders_per_customer < 1.5:
            raise ValueError("orders_per_customer must be at least 1.5")
        if self.dirt < 0:
            raise ValueError("dirt must be 0 or more")
        if np.datetime64(self.start) >= np.datetime64(self.end):
            raise ValueError("start must be before end")


def _seasonal_day_cdf(start: np.datetime64, days: int) -> np.ndarray:
    """Cumulative weight of each day: a November-December peak, busier weekends, growth."""
    day = np.arange(days)
    dates = start + day.astype("timedelta64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    weight = np.ones(days)
    weight *= np.where(np.isin(month, [11, 12]), 1.8, 1.0)
    weight *= np.where(np.isin(month, [1, 2]), 0.8, 1.0)
    weight *= np.where(weekday >= 5, 1.25, 1.0)
    weight *= 1.0 + day / days  # the shop grows
    cdf = np.concatenate([[0.0], np.cumsum(weight)])
    return cdf / cdf[-1]


def _orders_per_customer(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    """Most buyers order once or twice, a long tail orders dozens of times, some never buy."""
    never = rng.random(n) < 0.08
    casual = rng.random(n) < 0.58
    casual_orders = np.where(rng.random(n) < 0.68, 1, 2)
    buyer_mean = mean / 0.92
    tail_mean = max((buyer_mean - 0.58 * 1.32) / 0.42 - 3, 0.5)
    sigma = 1.0
    tail = 3 + np.floor(rng.lognormal(np.log(tail_mean) - sigma**2 / 2, sigma, n))
    orders = np.where(casual, casual_orders, np.minimum(tail, 400)).astype(np.int64)
    return np.where(never, 0, orders)


def _table(columns: dict[str, np.ndarray], exported_again: np.ndarray) -> pa.Table:
    """The rows, then a second copy of the rows ``exported_again`` appended, as a re-export
    appends to a file; ``copy_number`` tells the copies apart."""
    table = pa.table({**columns, "copy_number": np.zeros(len(exported_again), dtype=np.int8)})
    again = table.take(np.flatnonzero(exported_again))
    again = again.set_column(again.num_columns - 1, "copy_number", pa.array(np.ones(len(again), dtype=np.int8)))
    return pa.concat_tables([table, again])


def generate(config: GeneratorConfig) -> dict[str, pa.Table]:
    """Draw the raw tables as Arrow tables of numbers and vocabulary codes."""
    rng = np.random.default_rng(config.seed)
    start = np.datetime64(config.start, "D")
    days = int((np.datetime64(config.end, "D") - start).astype(np.int64)) + 1
    n = config.customers

    def dirty(p: float, size: int) -> np.ndarray:
        return rng.random(size) < p * config.dirt

    # ---- customers: behaviour, order count, active window ------------------------------
    behaviour = rng.choice(len(BEHAVIOURS), n, p=[share for share, _ in BEHAVIOURS.values()])
    n_orders = _orders_per_customer(rng, n, config.orders_per_customer)
    # Return-prone customers need a few orders to show their pattern.
    n_orders = np.where((behaviour >= RETURN_PRONE) & (n_orders > 0), np.maximum(n_orders, 4), n_orders)
    signup_day = np.maximum(np.floor(rng.beta(1.3, 1.0, n) * (days - 30)).astype(np.int64) - 120, -365)
    first_day = np.minimum(np.maximum(signup_day, 0) + rng.integers(0, 60, n), days - 1)
    # Customers who stop buying: a finite active span after the first order.
    span = np.where(rng.random(n) < 0.55, rng.exponential(300, n), days).astype(np.int64)
    last_day = np.minimum(first_day + np.maximum(span, 1), days - 1)

    # ---- orders ---------------------------------------------------------------------------
    order_customer = np.repeat(np.arange(n), n_orders)
    m = len(order_customer)
    cdf = _seasonal_day_cdf(start, days)
    lo, hi = cdf[first_day[order_customer]], cdf[last_day[order_customer] + 1]
    order_day = np.searchsorted(cdf, lo + rng.random(m) * (hi - lo), side="right") - 1
    first_of_customer = np.ones(m, dtype=bool)
    first_of_customer[1:] = order_customer[1:] != order_customer[:-1]
    order_day = np.clip(np.where(first_of_customer, first_day[order_customer], order_day), 0, days - 1)
    order_second = rng.integers(6 * 3600, 23 * 3600, m)
    # Order ids follow the days, as a shop's order sequence does (a radix sort on days).
    by_day = np.argsort(order_day.astype(np.int16), kind="stable")
    order_customer, order_day, order_second = order_customer[by_day], order_day[by_day], order_second[by_day]
    order_behaviour = behaviour[order_customer]

    status = np.full(m, ORDER_STATUSES.code("completed"))
    roll = rng.random(m)
    status[roll < 0.22] = ORDER_STATUSES.code("delivered")
    status[roll < 0.06] = ORDER_STATUSES.code("cancelled")
    status[roll < 0.02] = ORDER_STATUSES.code("failed")
    in_flight = (days - 1 - order_day < 8) & (roll >= 0.06)
    status[in_flight] = rng.integers(ORDER_STATUSES.code("placed"), ORDER_STATUSES.code("shipped") + 1, m)[in_flight]
    delivered = (status == ORDER_STATUSES.code("delivered")) | (status == ORDER_STATUSES.code("completed"))
    delivered_second = order_day * 86400 + order_second + rng.integers(36 * 3600, 7 * 86400, m)

    # ---- order lines ----------------------------------------------------------------------
    product_category = rng.integers(0, len(CATEGORIES), config.products)
    product_cents = np.round(rng.lognormal(np.log(3500), 0.6, config.products)).astype(np.int64) + 299
    sized_products = np.flatnonzero(product_category < SIZED_CATEGORIES)
    # Bracketers order one sized product in three sizes, meaning to keep one.
    bracket_order = (order_behaviour == BEHAVIOUR["bracketer"]) & (rng.random(m) < 0.45)
    n_lines = np.where(bracket_order, 3, np.minimum(1 + rng.poisson(0.9, m), 8))
    line_order = np.repeat(np.arange(m), n_lines)
    k = len(line_order)
    line_number = np.arange(k) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    bracket_line = bracket_order[line_order]
    bracket_product = sized_products[rng.integers(0, len(sized_products), m)]
    line_product = np.where(bracket_line, bracket_product[line_order], rng.integers(0, config.products, k))
    sized = product_category[line_product] < SIZED_CATEGORIES
    variant = np.where(sized, rng.integers(0, 5, k), np.where(rng.random(k) < 0.5, rng.integers(5, 10, k), -1))
    variant = np.where(bracket_line, line_number, variant)  # sizes S, M, L
    quantity = np.where(bracket_line, 1, 1 + (rng.random(k) < 0.15) + (rng.random(k) < 0.03))
    # Escalating returners buy dearer things as time goes by.
    escalating = order_behaviour[line_order] == BEHAVIOUR["escalating"]
    tenure_days = (order_day - first_day[order_customer])[line_order]
    unit_cents = product_cents[line_product] + np.where(escalating, 40 * tenure_days, 0)
    line_cents = quantity * unit_cents
    order_cents = np.bincount(line_order, weights=line_cents, minlength=m).astype(np.int64)

    # ---- returns --------------------------------------------------------------------------
    propensity = np.array([p for _, p in BEHAVIOURS.values()])[order_behaviour]
    propensity = np.minimum(propensity * rng.gamma(4.0, 0.25, n)[order_customer], 0.95)
    has_return = delivered & ((rng.random(m) < propensity) | (bracket_order & (rng.random(m) < 0.9)))
    whole_order = has_return & ~bracket_order & (rng.random(m) < 0.12)
    kept_size = 1 + rng.integers(0, 3, m)  # the one size a bracketer keeps
    line_returned = has_return[line_order] & (
        np.where(bracket_line, line_number != kept_size[line_order], line_number == 1) | whole_order[line_order]
    )
    returned_lines = np.bincount(line_order, weights=line_returned, minlength=m)
    status[has_return] = np.where(
        returned_lines[has_return] >= n_lines[has_return],
        ORDER_STATUSES.code("returned"),
        ORDER_STATUSES.code("partially_returned"),
    )

    # One return per returned line, or one without a line number for a whole order.
    per_line = line_returned & ~whole_order[line_order]
    whole = np.flatnonzero(whole_order)
    ret_order = np.concatenate([line_order[per_line], whole])
    ret_line = np.concatenate([line_number[per_line], np.zeros(len(whole), dtype=np.int64)])
    ret_cents = np.concatenate([line_cents[per_line], order_cents[whole]])
    by_order = np.lexsort((ret_line, ret_order))
    ret_order, ret_line, ret_cents = ret_order[by_order], ret_line[by_order], ret_cents[by_order]
    r = len(ret_order)
    ret_behaviour = order_behaviour[ret_order]
    wear = (ret_behaviour == BEHAVIOUR["wear_and_return"]) & (rng.random(r) < 0.8)
    delay = np.where(wear, rng.integers(2 * 3600, 47 * 3600, r), rng.integers(50 * 3600, 28 * 86400, r))
    ret_second = delivered_second[ret_order] + delay
    vague = (rng.random(r) < 0.25) | ((ret_behaviour >= RETURN_PRONE) & (rng.random(r) < 0.35))
    reason = REASONS.draw(rng, vague.astype(np.int64))
    reason = np.where(rng.random(r) < 0.04, -1, reason)
    untracked = (rng.random(r) < 0.04) | ((ret_behaviour == BEHAVIOUR["no_tracking"]) & (rng.random(r) < 0.7))
    tracking = np.where(rng.random(r) < 0.03, -1, TRACKING.draw(rng, untracked.astype(np.int64)))
    ret_status = np.full(r, RETURN_STATUSES.code("refunded"))
    roll = rng.random(r)
    ret_status[roll < 0.20] = RETURN_STATUSES.code("received")
    ret_status[roll < 0.13] = RETURN_STATUSES.code("approved")
    ret_status[roll < 0.09] = RETURN_STATUSES.code("rejected")
    ret_status[(ret_second > (days - 10) * 86400) & (roll < 0.5)] = RETURN_STATUSES.code("requested")
    ret_kept = ret_second < days * 86400  # nothing is requested after the export

    # ---- dirt, then the tables --------------------------------------------------------
    customer_missing_id = dirty(0.002, n)
    # Later versions of some customers (changed email and city); a few identical re-exports.
    customer_again = dirty(0.03, n) & ~customer_missing_id
    customers = _table(
        {
            "row": np.arange(n),
            "missing_id": customer_missing_id,
            "first_name": FIRST_NAMES.any(rng, n),
            "last_name": LAST_NAMES.any(rng, n),
            "email_style": rng.choice(4, n, p=[0.6, 0.2, 0.17, 0.03]),
            "age": np.clip(np.round(rng.normal(38, 12, n)), 16, 90).astype(np.int64),
            "bad_age": np.where(dirty(0.015, n), BAD_AGES.any(rng, n), -1),
            "gender": GENDERS.draw(rng, rng.choice(4, n, p=[0.5, 0.4, 0.03, 0.07])),
            "location": np.where(dirty(0.03, n), -1, CITIES.any(rng, n)),
            "location_padded": rng.random(n) < 0.2,
            "created_second": signup_day * 86400 + rng.integers(0, 86400, n),
            "date_format": rng.integers(0, 6, n),
            "bad_date": np.where(dirty(0.004, n), BAD_DATES.any(rng, n), -1),
            "identical": rng.random(n) < 0.15,
        },
        customer_again,
    )

    # Re-exports of some orders: identical, or with a newer status for orders in progress.
    in_progress = np.isin(status, [ORDER_STATUSES.code(s) for s in ("placed", "paid", "shipped", "delivered")])
    order_identical = rng.random(m) < 0.3
    order_again = dirty(0.02, m) & (order_identical | in_progress)
    orders = _table(
        {
            "order_number": np.arange(m) + 1,
            "customer_row": order_customer,
            "orphan": dirty(0.005, m),
            "ordered_second": order_day * 86400 + order_second,
            "date_format": rng.integers(0, 6, m),
            "bad_date": np.where(dirty(0.003, m), BAD_DATES.any(rng, m), -1),
            "clean_status": status,
            "status": np.where(
                dirty(0.003, m),
                ORDER_STATUSES.draw(rng, np.full(m, ORDER_STATUSES.code("unmappable"))),
                ORDER_STATUSES.draw(rng, status),
            ),
            "total_cents": order_cents,
            "total_dirt": np.where(dirty(0.006, m), rng.integers(1, 4, m), 0),  # null, negative, text
            "delivered_second": np.where(delivered | has_return, delivered_second, -1),
            "updated_second": order_day * 86400 + order_second + rng.integers(3600, 20 * 86400, m),
            "identical": order_identical,
        },
        order_again,
    )

    order_items = _table(
        {
            "order_number": line_order + 1,
            "line_number": line_number,
            "product_number": line_product + 1,
            "category": product_category[line_product],
            "variant": variant,
            "quantity": np.where(dirty(0.002, k), -rng.integers(0, 2, k), quantity),
            "unit_cents": np.where(dirty(0.001, k), -unit_cents, unit_cents),
        },
        dirty(0.002, k),
    )

    unknown_order = dirty(0.005, r)
    too_much = dirty(0.003, r)
    returns = _table(
        {
            "return_number": np.arange(r) + 1,
            "order_number": np.where(unknown_order, m + 1 + np.arange(r), ret_order + 1),
            "line_number": ret_line,
            "requested_second": ret_second,
            "date_format": rng.integers(0, 6, r),
            "bad_date": np.where(dirty(0.002, r), BAD_DATES.any(rng, r), -1),
            "refund_cents": np.where(too_much, order_cents[ret_order] + 1000 + ret_cents, ret_cents),
            "refund_null": rng.random(r) < 0.05,
            "reason": reason,
            "tracking": tracking,
            "status": RETURN_STATUSES.draw(rng, ret_status),
            "kept": ret_kept,
        },
        dirty(0.002, r),
    )
    return {
        "customer_rows": customers,
        "order_rows": orders,
        "line_rows": order_items,
        "return_rows": returns,
    }


def _timestamp_text(second: str, fmt: str, start: str) -> str:
    """A moment (seconds since start) as text in one of the contract's formats."""
    ts = f"(timestamp '{start}' + to_seconds({second}))"
    return f"""(case {fmt}
        when 0 then strftime({ts}, '%Y-%m-%d')
        when 1 then strftime({ts}, '%Y-%m-%dT%H:%M:%S')
        when 2 then strftime({ts}, '%Y-%m-%d %H:%M:%S')
        when 3 then strftime({ts}, '%Y-%m-%dT%H:%M:%SZ')
        when 4 then strftime({ts} + interval 1 hour, '%Y-%m-%dT%H:%M:%S') || '+01:00'
        else strftime({ts}, '%Y/%m/%d')
    end)"""


def _plain_timestamp(second: str, start: str) -> str:
    return f"strftime(timestamp '{start}' + to_seconds({second}), '%Y-%m-%d %H:%M:%S')"


def _money(cents: str) -> str:
    return f"cast(cast({cents} as decimal(18, 0)) / 100 as decimal(18, 2))::varchar"


def _id(prefix: str, number: str, width: int) -> str:
    return f"'{prefix}' || lpad(({number})::varchar, {width}, '0')"


def _queries(start: str, loads: bool = False) -> dict[str, str]:
    """Pure projections of the drawn tables: row order is kept, so no sort is needed.

    With ``loads``, each query also gives the columns _write_daily splits on: ``load_second``,
    the moment the row became known (null when its date is dirt), and ``load_copy`` and
    ``load_key``, which order a load's rows as the single file does.
    """
    changed = "(copy_number = 1 and not identical)"  # a later version, not a plain re-export
    customer_updated = f"created_second + 86400 * (case when {changed} then 200 else 30 end)"
    order_updated = f"updated_second + (case when {changed} then 2 * 86400 else 0 end)"

    def load(second: str, key: str) -> str:
        return f",\n            {second} as load_second, copy_number as load_copy, {key} as load_key" if loads else ""

    # A later version is known when it was updated; any other row when it was created, ordered or
    # requested, unless that date is dirt. An order line comes with the first version of its order.
    customer_load = load(
        f"case when {changed} then {customer_updated} when bad_date < 0 then created_second end", "row"
    )
    order_load = load(
        f"case when {changed} then {order_updated} when bad_date < 0 then ordered_second end", "order_number"
    )
    line_load = load("order_second", "order_number * 100 + line_number")
    return_load = load("case when bad_date < 0 then requested_second end", "return_number")
    order_seconds = (
        " join (select order_number, case when bad_date < 0 then ordered_second end as order_second"
        " from order_rows where copy_number = 0) using (order_number)"
        if loads
        else ""
    )
    first, last = FIRST_NAMES.sql("first_name"), LAST_NAMES.sql("last_name")
    mail_name = f"{first} || '.' || replace({last}, ' ', '') || (row + 1)"
    customers = f"""
        select
            case when not missing_id then row + 1 end as customer_id,
            case
                when {changed} then lower({mail_name} || '@example.net')
                when email_style = 0 then lower({mail_name} || '@example.com')
                when email_style = 1 then '  ' || {mail_name} || '@Example.COM '
                when email_style = 2 then upper({first}) || (row + 1) || '@MAIL.example.org'
            end as email,
            {first} || ' ' || {last} as full_name,
            coalesce({BAD_AGES.sql("bad_age")}, age::varchar) as age,
            {GENDERS.sql("gender")} as gender,
            case
                when {changed} then 'Vienna, AT'
                when location_padded then '  ' || {CITIES.sql("location")} || ' '
                else {CITIES.sql("location")}
            end as location,
            coalesce({BAD_DATES.sql("bad_date")}, {_timestamp_text("created_second", "date_format", start)})
                as created_at,
            {_plain_timestamp(customer_updated, start)} as updated_at{customer_load}
        from customer_rows
    """
    orders = f"""
        select
            order_number as order_id,
            -- An orphan order names a customer the customer export does not know.
            case when orphan then {ORPHAN_CUSTOMER_BASE} + order_number else customer_row + 1 end as customer_id,
            coalesce({BAD_DATES.sql("bad_date")}, {_timestamp_text("ordered_second", "date_format", start)})
                as ordered_at,
            -- An order still in progress at the first export has completed by the second.
            case when {changed} then 'Completed' else {ORDER_STATUSES.sql("status")} end as status,
            case total_dirt
                when 1 then null
                when 2 then '-' || {_money("total_cents")}
                when 3 then 'N/A'
                else {_money("total_cents")}
            end as order_total,
            case when order_number % 97 = 0 then null else 'EUR' end as currency,
            case when delivered_second >= 0 then {_plain_timestamp("delivered_second", start)} end as delivered_at,
            case
                when {changed} then strftime(timestamp '{start}' + to_seconds({order_updated}), '%Y-%m-%dT%H:%M:%SZ')
                else {_plain_timestamp(order_updated, start)}
            end as updated_at{order_load}
        from order_rows
    """
    order_items = f"""
        select
            order_number as order_id,
            line_number,
            {_id("P", "product_number", 5)} as product_id,
            {CATEGORIES.sql("category")} as category,
            {VARIANTS.sql("variant")} as variant,
            quantity,
            {_money("unit_cents")} as unit_price{line_load}
        from line_rows{order_seconds}
    """
    returns = f"""
        select
            return_number as return_id,
            order_number as order_id,
            case when line_number > 0 then line_number end as line_number,
            coalesce({BAD_DATES.sql("bad_date")}, {_timestamp_text("requested_second", "date_format", start)})
                as requested_at,
            case when not refund_null then {_money("refund_cents")} end as refund_amount,
            {REASONS.sql("reason")} as reason,
            {TRACKING.sql("tracking")} as tracking_confirmed,
            {RETURN_STATUSES.sql("status")} as status{return_load}
        from return_rows
        where kept
    """
    return {"customers": customers, "orders": orders, "order_items": order_items, "returns": returns}


LOADS = ("single", "daily")


def write(
    config: GeneratorConfig, out_dir: Path, file_format: str = "csv", prefix: str = "", loads: str = "single"
) -> dict[str, int]:
    """Generate and write the four raw tables; return their row counts.

    ``loads="single"`` writes each table as one file ``<prefix><table>.<format>``; ``"daily"``
    as a folder of daily loads ``<prefix><table>/<YYYY-MM-DD>.<format>`` (see _write_daily).
    """
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {file_format!r}")
    if loads not in LOADS:
        raise ValueError(f"loads must be {' or '.join(LOADS)}, got {loads!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")  # rows are written in the order drawn
    for name, table in generate(config).items():
        con.register(name, table)
    options = "format csv, header true" if file_format == "csv" else "format parquet, compression zstd"
    counts = {}
    for name, query in _queries(config.start, loads == "daily").items():
        if loads == "daily":
            counts[name] = _write_daily(con, query, config.start, out_dir / f"{prefix}{name}", file_format, options)
        else:
            path = out_dir / f"{prefix}{name}.{file_format}"
            counts[name] = con.execute(f"copy ({query}) to '{path}' ({options})").fetchone()[0]
    con.close()
    return counts


def _write_daily(
    con: duckdb.DuckDBPyConnection, query: str, start: str, folder: Path, file_format: str, options: str
) -> int:
    """Write a table as one load file per day with rows, ``<folder>/<YYYY-MM-DD>.<format>``.

    Each row goes to the load of the day it became known (the UTC day of the moment drawn; a
    ``+01:00`` spelling may show the next day):

    - customers: created_at; a later version (new e-mail and city) on its updated_at day;
    - orders: ordered_at; the newer version of an order in progress on its updated_at day;
    - order_items: with the first version of their order;
    - returns: requested_at.

    An identical re-export goes with its first copy. A row whose date is dirt (unparseable) goes
    to the table's first load, and the lines of such an order with it. So loads may fall before
    ``start`` (early sign-ups) or after ``end`` (later versions). Within a load, rows keep the
    single file's order. Load files already in the folder are deleted first, so a rerun leaves
    no stale day behind.
    """
    folder.mkdir(exist_ok=True)
    for stale in folder.iterdir():
        if stale.is_file() and stale.suffix in (".csv", ".parquet"):
            stale.unlink()
    con.execute(f"""
        create or replace temp table load_rows as
        select * exclude (load_second, load_copy, load_key)
        from (
            select
                *,
                cast(timestamp '{start}' + to_seconds(coalesce(load_second, min(load_second) over ())) as date)
                    as load_day
            from ({query})
        )
        order by load_day, load_copy, load_key
    """)
    days = [day for (day,) in con.execute("select distinct load_day from load_rows order by 1").fetchall()]
    for day in days:
        path = folder / f"{day.isoformat()}.{file_format}"
        con.execute(
            f"copy (select * exclude (load_day) from load_rows where load_day = '{day}') to '{path}' ({options})"
        )
    rows = con.execute("select count(*) from load_rows").fetchone()[0]
    con.execute("drop table load_rows")
    return rows
