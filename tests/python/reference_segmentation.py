"""An independent recomputation of the headline segmentation outputs, in plain pandas.

Reads the raw ``customers.csv`` and ``orders.csv`` of a file-mode folder and
applies the rules of ``docs/raw-data-contract.md``, ``docs/definitions.md``
(sections 1-5) and ``DECISIONS.md`` without SQL, so the dbt marts can be
checked against a second implementation:

- staging: every value trimmed, blank is null; orders de-duplicated by
  ``order_id`` (latest parseable ``updated_at`` wins, ties to the higher md5 of
  the raw row), then the winner validated (a rejected winner removes the
  order: older versions never come back);
- counted orders, the as-of date, per-customer recency, frequency and
  monetary, the at-risk thresholds and flag, R/F/M quantile scores, the named
  RFM segment and the lifecycle stage;
- returns (section 6): ``returns.csv`` de-duplicated by ``return_id`` (the
  version furthest along its life wins, then the latest request, then the
  higher md5), the winner validated; per customer the orders with an accepted
  return, the return rate, the store return rate and the return tier;
- the value tier (monetary against its median), churn risk (at-risk flag or
  a high-churn segment of the map) and the risk x value quadrant (section 7);
- the average order value of kept orders (no accepted return).

Money is kept exact as integer ten-thousandths (``decimal(18, 4)``) and
returned as ``Decimal``; an average is the exact quotient rounded to 4 decimals
half away from zero (``ROUND_HALF_UP``), the rule of macros/cross_database/
money_ratio.sql. Fixed RFM bins (vars ``rfm_*_bins``) are not covered.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

PROJECT_DIR = Path(__file__).resolve().parents[2]
STATUS_SYNONYMS = PROJECT_DIR / "seeds" / "vocabularies" / "order_status_synonyms.csv"
SEGMENT_MAP = PROJECT_DIR / "seeds" / "segmentation" / "rfm_segment_map.csv"
QUADRANTS = PROJECT_DIR / "seeds" / "segmentation" / "risk_value_quadrants.csv"
RETURN_STATUS_SYNONYMS = PROJECT_DIR / "seeds" / "vocabularies" / "return_status_synonyms.csv"

DEFAULT_VARS: dict[str, Any] = {
    "as_of_date": None,
    "counted_order_statuses": [
        "placed", "paid", "shipped", "delivered", "completed", "returned", "partially_returned",
    ],
    "at_risk_recency_percentile": 0.75,
    "at_risk_frequency_percentile": 0.25,
    "at_risk_percentile_method": "cont",
    "at_risk_recency_days": None,
    "at_risk_max_orders": None,
    "lifecycle_active_days": 90,
    "lifecycle_lapsed_days": 180,
    "return_tier_mode": "relative",
    "return_tier_multipliers": [0.5, 2, 4],
    "return_tier_rates": [0.05, 0.20, 0.40],
    "return_min_orders": 3,
    "value_tier_percentile": 0.5,
    "value_tier_percentile_method": "cont",
}  # fmt: skip

# Raw order columns in contract order: the fingerprint joins them in this order.
ORDER_COLUMNS = [
    "order_id", "customer_id", "ordered_at", "status", "order_total", "currency", "delivered_at", "updated_at",
]  # fmt: skip

RETURN_COLUMNS = [
    "return_id", "order_id", "line_number", "requested_at", "refund_amount", "reason", "tracking_confirmed", "status",
]  # fmt: skip
# How far along its life a return version is: the furthest version wins.
RETURN_PROGRESS = {"requested": 1, "approved": 2, "received": 3, "refunded": 4, "rejected": 4}
# Whole numbers (macros/cleaning/parse_integer.sql), matched whole (fullmatch).
INTEGER_PATTERN = r"[+-]?[0-9]{1,15}(?:[.]0+)?"
RETURN_TIERS = ["champion", "standard", "at_risk", "serial_returner"]

# The contract's timestamp formats (macros/cleaning/parse_timestamp.sql), with a
# named group per component, matched with RE2 (pyarrow), as DuckDB does: $ is the
# end of the text, never before a trailing newline.
TIMESTAMP_PATTERN = (
    r"^(?P<year>[0-9]{4})[-/](?P<month>[0-9]{2})[-/](?P<day>[0-9]{2})"
    r"(?:[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:[.](?P<fraction>[0-9]{1,9}))?)?"
    r"(?:Z|(?P<zone_sign>[+-])(?P<zone_hours>[0-9]{2}):?(?P<zone_minutes>[0-9]{2})?)?)?$"
)
# Plain decimals (macros/cleaning/parse_decimal.sql).
DECIMAL_PATTERN = (
    r"^(?P<sign>[+-]?)(?:(?P<whole>[0-9]{1,13})(?:[.](?P<fraction>[0-9]*))?|[.](?P<bare_fraction>[0-9]+))$"
)

MICROS_PER_DAY = 86_400_000_000
MONEY_SCALE = 4  # decimal(18, 4)


@dataclass(frozen=True)
class Result:
    """The recomputed outputs of one build.

    ``customers`` has one row per customer of the universe (clean customer ids
    plus orphan ids with a counted order), indexed by ``customer_id``, with
    columns first_order_date, last_order_date, recency_days, frequency,
    monetary_units (int, ten-thousandths), monetary (Decimal), r_score, f_score,
    m_score, rfm_segment, lifecycle_stage, is_at_risk, returned_orders,
    return_rate, return_tier, is_new_customer, avg_order_value (Decimal, None
    when every order was returned), value_tier, churn_risk,
    risk_value_quadrant. Score, segment, flag, tier and quadrant
    columns are filled for purchasers only.
    """

    as_of_date: date
    population: int
    recency_threshold: float | None
    frequency_threshold: float | None
    store_return_rate: float | None
    customers: pd.DataFrame
    counted: pd.DataFrame  # the counted orders: customer_id, order_date, ...

    @property
    def purchasers(self) -> pd.DataFrame:
        """Customers with at least one counted order: the rows of rfm_segments."""
        return self.customers[self.customers["frequency"] > 0]

    @property
    def at_risk_ids(self) -> set[str]:
        purchasers = self.purchasers
        return set(purchasers.index[purchasers["is_at_risk"].astype(bool)])


def compute(raw_dir: Path, vars: dict[str, Any] | None = None) -> Result:
    """Recompute the segmentation outputs from ``raw_dir``/customers.csv, orders.csv and returns.csv."""
    settings = {**DEFAULT_VARS, **(vars or {})}
    customer_ids = clean_customer_ids(read_raw_csv(raw_dir / "customers.csv", ["customer_id"]))
    orders = clean_orders(read_raw_csv(raw_dir / "orders.csv", ORDER_COLUMNS))

    counted_statuses = set(settings["counted_order_statuses"])
    counted_status_orders = orders[orders["order_status"].isin(counted_statuses)]
    as_of_date = resolve_as_of_date(settings["as_of_date"], counted_status_orders["order_date"])
    counted = counted_status_orders[counted_status_orders["order_date"] <= np.datetime64(as_of_date, "D")]

    customers = customer_metrics(customer_ids, counted, as_of_date)
    purchasers = customers[customers["frequency"] > 0]

    method = settings["at_risk_percentile_method"]
    recency_threshold = _threshold(
        settings["at_risk_recency_days"], purchasers["recency_days"], settings["at_risk_recency_percentile"], method
    )
    frequency_threshold = _threshold(
        settings["at_risk_max_orders"], purchasers["frequency"], settings["at_risk_frequency_percentile"], method
    )

    scores = rfm_scores(purchasers)
    scores["rfm_segment"] = assign_segments(scores, read_segment_map(SEGMENT_MAP))
    value_threshold = percentile(
        purchasers["monetary_units"] / 10**MONEY_SCALE,
        settings["value_tier_percentile"],
        settings["value_tier_percentile_method"],
    )
    scores["lifecycle_stage"] = lifecycle_stage(
        purchasers["recency_days"], settings["lifecycle_active_days"], settings["lifecycle_lapsed_days"]
    )
    if recency_threshold is None or frequency_threshold is None:
        scores["is_at_risk"] = False
    else:
        recency = purchasers["recency_days"].astype(np.int64)
        scores["is_at_risk"] = (recency > recency_threshold) & (purchasers["frequency"] <= frequency_threshold)

    returns_path = raw_dir / "returns.csv"
    raw_returns = read_raw_csv(returns_path, RETURN_COLUMNS) if returns_path.exists() else None
    returned = returned_order_ids(raw_returns, orders, as_of_date)
    return_columns, store_return_rate = return_tiers(counted, returned, settings)

    scores = scores.join(risk_value(purchasers, scores, value_threshold))
    customers = customers.join(scores).join(return_columns)
    customers = customers.astype({"r_score": "Int64", "f_score": "Int64", "m_score": "Int64", "is_at_risk": "boolean"})
    return Result(
        as_of_date, len(purchasers), recency_threshold, frequency_threshold, store_return_rate, customers, counted
    )


# --- reading and cleaning ---------------------------------------------------------------------------------------


def read_raw_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """The contract columns of a raw CSV as untrimmed text (absent optional ones as empty text)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [str(name).strip().lower() for name in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for column in columns:
        if column not in frame.columns:
            frame[column] = ""
    return frame[columns]


def clean_text(values: pd.Series) -> pd.Series:
    """Text with surrounding spaces trimmed (spaces only, as SQL trim); blank becomes null."""
    trimmed = values.str.strip(" ")
    return trimmed.mask(trimmed.isna() | (trimmed == ""))


def vocabulary_key(values: pd.Series) -> pd.Series:
    """Lower case, trimmed, apostrophes dropped, runs of spaces, hyphens and underscores as one underscore."""
    return values.str.strip(" ").str.lower().str.replace("'", "").str.replace(r"[ _-]+", "_", regex=True)


def clean_customer_ids(raw: pd.DataFrame) -> pd.Index:
    """The distinct clean customer ids (rows without an id are rejected)."""
    ids = clean_text(raw["customer_id"]).dropna()
    return pd.Index(ids.unique(), name="customer_id")


def clean_orders(raw: pd.DataFrame) -> pd.DataFrame:
    """The clean orders: one winner per order_id, kept only if it passes every rule.

    Columns: order_id, customer_id, order_status, order_total_units (int,
    ten-thousandths), order_date (datetime64[D], UTC date of ordered_at).
    """
    order_id = clean_text(raw["order_id"])
    updated_at = parse_timestamp(clean_text(raw["updated_at"]))

    # De-duplicate first: the latest parseable updated_at wins (undated rows lose),
    # then the higher fingerprint. Only keys with several rows need one.
    has_versions = order_id.notna() & order_id.duplicated(keep=False)
    fingerprint = pd.Series("", index=raw.index, dtype=object)
    fingerprint[has_versions] = row_fingerprints(raw.loc[has_versions, ORDER_COLUMNS])
    versions = pd.DataFrame(
        {
            "order_id": order_id,
            "updated_key": updated_at.fillna(np.iinfo(np.int64).min).astype(np.int64),
            "fingerprint": fingerprint,
        }
    )
    versions = versions[versions["order_id"].notna()]
    versions = versions.sort_values(["order_id", "updated_key", "fingerprint"], ascending=[True, False, False])
    winners = raw.loc[versions.drop_duplicates("order_id", keep="first").index]

    # Then validate the winner.
    customer_id = clean_text(winners["customer_id"])
    ordered_at = parse_timestamp(clean_text(winners["ordered_at"]))
    status = map_statuses(clean_text(winners["status"]))
    total_units = parse_decimal_units(clean_text(winners["order_total"]))
    usable = customer_id.notna() & ordered_at.notna() & status.notna() & total_units.notna()
    usable &= total_units.fillna(0) >= 0

    clean = pd.DataFrame(
        {
            "order_id": clean_text(winners["order_id"]),
            "customer_id": customer_id,
            "order_status": status,
            "order_total_units": total_units,
            "ordered_at_micros": ordered_at,
        }
    )[usable]
    micros = clean["ordered_at_micros"].astype(np.int64).to_numpy()
    clean["order_date"] = (micros // MICROS_PER_DAY).astype("datetime64[D]")
    clean["order_total_units"] = clean["order_total_units"].astype(np.int64)
    return clean.drop(columns="ordered_at_micros").reset_index(drop=True)


def row_fingerprints(raw: pd.DataFrame) -> list[str]:
    """md5 hex of each row's raw (untrimmed) values joined by '|', null as empty."""
    joined = raw.iloc[:, 0].fillna("").str.cat([raw[column].fillna("") for column in raw.columns[1:]], sep="|")
    return [hashlib.md5(text.encode("utf-8")).hexdigest() for text in joined]


def map_statuses(status: pd.Series) -> pd.Series:
    """Clean order status via the synonyms seed; null when blank or unknown."""
    synonyms = pd.read_csv(STATUS_SYNONYMS, dtype=str, keep_default_na=False)
    lookup = dict(zip(synonyms["spelling"], synonyms["order_status"], strict=True))
    return vocabulary_key(status).map(lookup)


def extract_groups(text: pd.Series, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Where text matches pattern (RE2, vectorised by Arrow) and each named group's text ('' when unmatched)."""
    matches = pc.extract_regex(pa.array(text, type=pa.large_string()), pattern)
    matched = matches.is_valid().to_numpy(zero_copy_only=False)
    names = [matches.type.field(i).name for i in range(matches.type.num_fields)]
    return matched, {name: pc.fill_null(pc.struct_field(matches, name), "") for name in names}


def digits_as_int(digits: pa.Array, default: int = 0) -> np.ndarray:
    """Digit text as int64; '' (an unmatched group) as default."""
    filled = pc.if_else(pc.equal(digits, ""), str(default), digits)
    return pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False)


def parse_timestamp(text: pd.Series) -> pd.Series:
    """Microseconds since 1970-01-01 UTC (nullable Int64), or null when not a contract timestamp.

    A zone shifts the time to UTC; no zone is UTC; a date alone is midnight;
    fractions beyond microseconds are cut. Impossible dates or times (month 13,
    February 30, hour 24, minute or second 60, a zone beyond 14:59) are null.
    """
    matched, groups = extract_groups(text, TIMESTAMP_PATTERN)
    year, month, day = (digits_as_int(groups[name], 1) for name in ("year", "month", "day"))
    hour, minute, second = (digits_as_int(groups[name]) for name in ("hour", "minute", "second"))
    zone = digits_as_int(groups["zone_hours"]) * 60 + digits_as_int(groups["zone_minutes"])
    zone_sign = np.where(pc.equal(groups["zone_sign"], "-").to_numpy(zero_copy_only=False), -1, 1)
    fraction = pc.utf8_rpad(pc.utf8_slice_codeunits(groups["fraction"], 0, 6), width=6, padding="0")
    micros_of_second = digits_as_int(fraction)

    month_index = (year - 1970) * 12 + (np.clip(month, 1, 12) - 1)
    month_start = month_index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_month_start = (month_index + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    valid = (
        matched
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= next_month_start - month_start)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
        & (digits_as_int(groups["zone_hours"]) <= 14)
        & (digits_as_int(groups["zone_minutes"]) <= 59)
    )
    micros = (
        (month_start + day - 1) * MICROS_PER_DAY
        + ((hour * 60 + minute - zone_sign * zone) * 60 + second) * 1_000_000
        + micros_of_second
    )
    return pd.Series(pd.array(np.where(valid, micros, 0), dtype="Int64"), index=text.index).mask(~valid)


def parse_decimal_units(text: pd.Series) -> pd.Series:
    """A plain decimal as decimal(18, 4), in integer ten-thousandths (nullable Int64).

    Null when not a plain decimal. More than four decimals round half away
    from zero, as a cast to decimal(18, 4) does.
    """
    matched, groups = extract_groups(text, DECIMAL_PATTERN)
    # "12.5" fills fraction, ".5" bare_fraction; the other group is empty.
    digits = pc.binary_join_element_wise(groups["fraction"], groups["bare_fraction"], pa.scalar("", pa.large_string()))
    kept = pc.utf8_rpad(pc.utf8_slice_codeunits(digits, 0, MONEY_SCALE), width=MONEY_SCALE, padding="0")
    round_up = pc.greater_equal(pc.utf8_slice_codeunits(digits, MONEY_SCALE, MONEY_SCALE + 1), "5")
    magnitude = (
        digits_as_int(groups["whole"]) * 10**MONEY_SCALE
        + digits_as_int(kept)
        + round_up.to_numpy(zero_copy_only=False).astype(np.int64)
    )
    units = np.where(pc.equal(groups["sign"], "-").to_numpy(zero_copy_only=False), -magnitude, magnitude)
    return pd.Series(pd.array(np.where(matched, units, 0), dtype="Int64"), index=text.index).mask(~matched)


def returned_order_ids(raw: pd.DataFrame | None, orders: pd.DataFrame, as_of_date: date) -> set[str]:
    """Ids of the clean orders with at least one accepted return requested on or before the as-of date.

    Accepted: the return's surviving version is valid (a clean order, a
    parseable request time, a whole line number if any, a known status, a
    refund that is a number from 0 to the order's total) and its status is not
    rejected. Whether the order counts is decided by the caller.
    """
    if raw is None or raw.empty:
        return set()
    return_id = clean_text(raw["return_id"])
    status = map_return_statuses(raw["status"])
    requested_at = parse_timestamp(clean_text(raw["requested_at"]))

    has_versions = return_id.notna() & return_id.duplicated(keep=False)
    fingerprint = pd.Series("", index=raw.index, dtype=object)
    fingerprint[has_versions] = row_fingerprints(raw.loc[has_versions, RETURN_COLUMNS])
    versions = pd.DataFrame(
        {
            "return_id": return_id,
            "progress": status.map(RETURN_PROGRESS).fillna(0).astype(np.int64),
            "requested_key": requested_at.fillna(np.iinfo(np.int64).min).astype(np.int64),
            "fingerprint": fingerprint,
        }
    )
    versions = versions[versions["return_id"].notna()].sort_values(
        ["return_id", "progress", "requested_key", "fingerprint"], ascending=[True, False, False, False]
    )
    winners = versions.drop_duplicates("return_id", keep="first").index

    order_totals = orders.set_index("order_id")["order_total_units"]
    order_id = clean_text(raw.loc[winners, "order_id"])
    order_total = order_id.map(order_totals)
    line_text = clean_text(raw.loc[winners, "line_number"])
    refund_text = clean_text(raw.loc[winners, "refund_amount"])
    refund = parse_decimal_units(refund_text)
    valid = (
        order_total.notna()
        & requested_at[winners].notna()
        & (line_text.isna() | line_text.fillna("").str.fullmatch(INTEGER_PATTERN))
        & status[winners].notna()
        & (refund_text.isna() | refund.notna())
    )
    refund_units = refund.fillna(0).astype(np.int64)
    valid &= (refund_units >= 0) & (refund_units <= order_total.fillna(0).astype(np.int64))

    requested_day = (requested_at[winners].fillna(0).astype(np.int64) // MICROS_PER_DAY).to_numpy()
    accepted = valid & (status[winners] != "rejected") & (requested_day <= (as_of_date - date(1970, 1, 1)).days)
    return set(order_id[accepted])


def risk_value(purchasers: pd.DataFrame, scores: pd.DataFrame, value_threshold: float | None) -> pd.DataFrame:
    """value_tier (monetary from the threshold is high), churn_risk and the quadrant, per purchaser."""
    segment_map = pd.read_csv(SEGMENT_MAP, dtype=str, keep_default_na=False)
    high_churn = set(segment_map.loc[segment_map["churn_risk"] == "high", "rfm_segment"])
    monetary = purchasers["monetary_units"] / 10**MONEY_SCALE
    value_tier = np.where(monetary >= value_threshold, "high", "low") if value_threshold is not None else "low"
    churn_risk = np.where(scores["is_at_risk"].astype(bool) | scores["rfm_segment"].isin(high_churn), "high", "low")
    quadrants = pd.read_csv(QUADRANTS, dtype=str, keep_default_na=False)
    lookup = {(row.value_tier, row.churn_risk): row.risk_value_quadrant for row in quadrants.itertuples()}
    frame = pd.DataFrame({"value_tier": value_tier, "churn_risk": churn_risk}, index=purchasers.index)
    frame["risk_value_quadrant"] = [lookup[key] for key in zip(frame["value_tier"], frame["churn_risk"], strict=True)]
    return frame


def map_return_statuses(status: pd.Series) -> pd.Series:
    """Clean return status via the synonyms seed; blank is requested; null when unknown."""
    synonyms = pd.read_csv(RETURN_STATUS_SYNONYMS, dtype=str, keep_default_na=False)
    lookup = dict(zip(synonyms["spelling"], synonyms["return_status"], strict=True))
    return vocabulary_key(status).map(lookup).mask(clean_text(status).isna(), "requested")


def return_tiers(
    counted: pd.DataFrame, returned: set[str], settings: dict[str, Any]
) -> tuple[pd.DataFrame, float | None]:
    """Per purchaser: returned_orders, return_rate, is_new_customer, return_tier, avg_order_value (kept
    orders); and the store return rate.

    Limits compare exactly (fractions): a rate at a limit is in the tier above.
    """
    is_returned = counted["order_id"].isin(returned)
    per_customer = (
        counted.assign(
            is_returned=is_returned,
            is_kept=~is_returned,
            kept_units=counted["order_total_units"].where(~is_returned, 0),
        )
        .groupby("customer_id")
        .agg(
            counted_orders=("order_id", "size"),
            returned_orders=("is_returned", "sum"),
            kept_orders=("is_kept", "sum"),
            kept_units=("kept_units", "sum"),
        )
    )
    store_counted = int(per_customer["counted_orders"].sum())
    store_returned = int(per_customer["returned_orders"].sum())
    store_rate = store_returned / store_counted if store_counted else None

    relative = settings["return_tier_mode"] == "relative"
    limits = [
        Fraction(str(limit)) for limit in settings["return_tier_multipliers" if relative else "return_tier_rates"]
    ]
    scale = Fraction(store_returned, store_counted) if relative and store_counted else Fraction(1)
    min_orders = int(settings["return_min_orders"])

    def tier(counted_orders: int, returned_orders: int) -> str:
        if returned_orders == 0:
            return "champion"
        rate = Fraction(returned_orders, counted_orders)
        reached = sum(rate >= limit * scale for limit in limits)
        if counted_orders < min_orders:
            reached = min(reached, 1)  # new customers: never above standard
        return RETURN_TIERS[reached]

    columns = pd.DataFrame(
        {
            "returned_orders": per_customer["returned_orders"].astype(np.int64),
            "return_rate": per_customer["returned_orders"] / per_customer["counted_orders"],
            "is_new_customer": per_customer["counted_orders"] < min_orders,
            "return_tier": [
                tier(int(c), int(r))
                for c, r in zip(per_customer["counted_orders"], per_customer["returned_orders"], strict=True)
            ],
            "avg_order_value": [
                money_ratio(int(units), int(orders))
                for units, orders in zip(per_customer["kept_units"], per_customer["kept_orders"], strict=True)
            ],
        },
        index=per_customer.index,
    )
    return columns, store_rate


def money_ratio(units: int, count: int) -> Decimal | None:
    """Money in ten-thousandths over a count: the exact quotient rounded to 4 decimals half away
    from zero (ROUND_HALF_UP: 162.67 / 8 = 20.33375 is 20.3338); None over no count."""
    if count == 0:
        return None
    with localcontext() as exact:
        exact.prec = 60  # far beyond any quotient of int64 ten-thousandths: the division is exact enough to round
        return (Decimal(units).scaleb(-MONEY_SCALE) / count).quantize(Decimal(1).scaleb(-MONEY_SCALE), ROUND_HALF_UP)


# --- metrics, thresholds, scores --------------------------------------------------------------------------------


def resolve_as_of_date(value: str | None, counted_status_dates: pd.Series) -> date:
    """Var as_of_date: a YYYY-MM-DD date, 'today' (UTC), or unset: the day after the latest counted order."""
    if value == "today":
        return datetime.now(UTC).date()
    if value is not None:
        return date.fromisoformat(str(value))
    if counted_status_dates.empty:
        return datetime.now(UTC).date()
    return pd.Timestamp(counted_status_dates.max()).date() + timedelta(days=1)


def customer_metrics(customer_ids: pd.Index, counted: pd.DataFrame, as_of_date: date) -> pd.DataFrame:
    """One row per customer of the universe with first/last order date, recency, frequency and monetary."""
    per_customer = counted.groupby("customer_id").agg(
        first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"),
        frequency=("order_id", "size"),
        monetary_units=("order_total_units", "sum"),
    )
    # Sums stay exact in int64 far beyond any realistic total; refuse rather than wrap around.
    approximate = counted.groupby("customer_id")["order_total_units"].sum().astype(np.float64)
    if (approximate.abs() > 2**62).any():
        raise OverflowError("monetary exceeds the exact int64 range of this reference")

    orphans = per_customer.index.difference(customer_ids)
    universe = customer_ids.append(orphans).rename("customer_id")
    customers = per_customer.reindex(universe)
    customers["frequency"] = customers["frequency"].fillna(0).astype(np.int64)
    customers["monetary_units"] = customers["monetary_units"].fillna(0).astype(np.int64)
    customers["monetary"] = [Decimal(int(units)).scaleb(-MONEY_SCALE) for units in customers["monetary_units"]]
    last = customers["last_order_date"].to_numpy().astype("datetime64[D]")
    recency = (np.datetime64(as_of_date, "D") - last).astype("timedelta64[D]")
    customers["recency_days"] = pd.array(recency.astype(np.int64), dtype="Int64")
    customers.loc[customers["frequency"] == 0, "recency_days"] = pd.NA
    return customers


def percentile(values: pd.Series, fraction: float, method: str) -> float | None:
    """Continuous (linear interpolation, float64) or discrete percentile; None over no values."""
    ordered = np.sort(values.to_numpy(dtype=np.float64))
    n = len(ordered)
    if n == 0:
        return None
    if method == "cont":
        position = (n - 1) * fraction
        low, high = ordered[math.floor(position)], ordered[math.ceil(position)]
        return float(low + (high - low) * (position - math.floor(position)))
    if method == "disc":
        # The first value whose cumulative share reaches the fraction: 1-based position ceil(n * p).
        position = max(1, math.ceil(n * Fraction(str(fraction))))
        return float(ordered[position - 1])
    raise ValueError(f"percentile method must be 'cont' or 'disc', got {method!r}")


def _threshold(fixed: float | None, values: pd.Series, fraction: float, method: str) -> float | None:
    return float(fixed) if fixed is not None else percentile(values, fraction, method)


def quantile_score(values: pd.Series, higher_is_better: bool, buckets: int = 5) -> pd.Series:
    """1 + floor(buckets * (rank - 1) / n), rank = SQL rank() from worst to best (ties share the lowest rank)."""
    rank = values.rank(method="min", ascending=higher_is_better).astype(np.int64)
    return 1 + (buckets * (rank - 1)) // len(values)


def rfm_scores(purchasers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "r_score": quantile_score(purchasers["recency_days"].astype(np.int64), higher_is_better=False),
            "f_score": quantile_score(purchasers["frequency"], higher_is_better=True),
            "m_score": quantile_score(purchasers["monetary_units"], higher_is_better=True),
        },
        index=purchasers.index,
    )


def read_segment_map(path: Path) -> dict[tuple[int, int, int], str]:
    """Every (r, f, m) score cell mapped to its segment; an empty m range means any m score."""
    segment_map = pd.read_csv(path, dtype=str, keep_default_na=False)
    cells: dict[tuple[int, int, int], str] = {}
    for row in segment_map.itertuples(index=False):
        m_min = int(row.m_score_min) if row.m_score_min.strip() else 1
        m_max = int(row.m_score_max) if row.m_score_max.strip() else 5
        for r in range(int(row.r_score_min), int(row.r_score_max) + 1):
            for f in range(int(row.f_score_min), int(row.f_score_max) + 1):
                for m in range(m_min, m_max + 1):
                    if (r, f, m) in cells:
                        raise ValueError(f"segment map covers cell {(r, f, m)} twice")
                    cells[(r, f, m)] = row.rfm_segment
    return cells


def assign_segments(scores: pd.DataFrame, cells: dict[tuple[int, int, int], str]) -> pd.Series:
    lookup = pd.Series(cells)
    lookup.index = lookup.index.set_names(["r_score", "f_score", "m_score"])
    keys = pd.MultiIndex.from_frame(scores[["r_score", "f_score", "m_score"]])
    return pd.Series(lookup.reindex(keys).to_numpy(), index=scores.index, name="rfm_segment")


def lifecycle_stage(recency_days: pd.Series, active_days: int, lapsed_days: int) -> pd.Series:
    days = recency_days.astype(np.int64).to_numpy()
    stage = np.where(days <= active_days, "active", np.where(days <= lapsed_days, "at_risk", "lapsed"))
    return pd.Series(stage, index=recency_days.index, name="lifecycle_stage")
