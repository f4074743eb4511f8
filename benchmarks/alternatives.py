"""The core RFM and at-risk outputs computed the ways users would otherwise compute them.

Each method reads the raw Parquet files of one generated shop (`--dirt 0`: clean rows, real-world
spellings and date formats) and writes one row per purchaser with recency, frequency, monetary,
the R, F and M scores, the RFM segment and the at-risk flag, under the project's rules
(../shared/spec/SEGMENTATION.md sections 1-5, default vars):

- an order counts when its status, looked up in the project's status synonyms, is counted;
- the as-of date is the day after the latest counted order (UTC dates);
- at risk: recency above the 75th and frequency at or below the 25th percentile (continuous);
- a score is 1 + floor(5 * (rank - 1) / n), rank from worst to best, ties sharing the lowest rank;
- the segment comes from the project's segment map.

Run as `python benchmarks/alternatives.py METHOD DATA_DIR OUT.parquet`, one method per process, so
the benchmark can measure each one's time and memory alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
STATUS_SYNONYMS = PROJECT_DIR / "seeds" / "vocabularies" / "order_status_synonyms.csv"
SEGMENT_MAP = PROJECT_DIR / "seeds" / "segmentation" / "rfm_segment_map.csv"
COUNTED = ["placed", "paid", "shipped", "delivered", "completed", "returned", "partially_returned"]
OUTPUT_COLUMNS = [
    "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_segment",
    "is_at_risk",
]  # fmt: skip


def duckdb_sql(data_dir: Path, out: Path) -> None:
    """One hand-written DuckDB statement."""
    import duckdb

    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    counted = ", ".join(f"'{status}'" for status in COUNTED)
    con.execute(f"""
        copy (
        with synonyms as (select * from read_csv('{STATUS_SYNONYMS}', all_varchar = true)),
        segment_map as (select * from read_csv('{SEGMENT_MAP}', all_varchar = true)),
        orders as (
            select
                cast(o.customer_id as varchar) as customer_id,
                cast(cast(replace(replace(trim(o.ordered_at), '/', '-'), 'T', ' ') as timestamptz) as date)
                    as order_date,
                cast(o.order_total as decimal(18, 4)) as order_total
            from read_parquet('{data_dir}/orders.parquet') as o
            join synonyms as s
                on s.spelling = regexp_replace(lower(trim(o.status)), '[ _-]+', '_', 'g')
            where s.order_status in ({counted})
        ),
        as_of as (select max(order_date) + 1 as as_of_date from orders),
        customers as (
            select
                customer_id,
                any_value(as_of_date) - max(order_date) as recency_days,
                count(*) as frequency,
                sum(order_total) as monetary
            from orders, as_of
            group by customer_id
        ),
        population as (
            select
                count(*) as n,
                quantile_cont(recency_days, 0.75) as recency_threshold,
                quantile_cont(frequency, 0.25) as frequency_threshold
            from customers
        ),
        scored as (
            select
                customers.*,
                1 + (5 * (rank() over (order by recency_days desc) - 1)) // n as r_score,
                1 + (5 * (rank() over (order by frequency) - 1)) // n as f_score,
                1 + (5 * (rank() over (order by monetary) - 1)) // n as m_score,
                recency_days > recency_threshold and frequency <= frequency_threshold as is_at_risk
            from customers, population
        )
        select
            scored.customer_id, scored.recency_days, scored.frequency, scored.monetary,
            scored.r_score, scored.f_score, scored.m_score, segment_map.rfm_segment, scored.is_at_risk
        from scored
        join segment_map
            on scored.r_score between cast(segment_map.r_score_min as int) and cast(segment_map.r_score_max as int)
            and scored.f_score between cast(segment_map.f_score_min as int) and cast(segment_map.f_score_max as int)
            and scored.m_score between coalesce(cast(segment_map.m_score_min as int), 1)
                and coalesce(cast(segment_map.m_score_max as int), 5)
        ) to '{out}' (format parquet)
    """)  # noqa: S608 - paths and fixed lists, not user input


def polars_lazy(data_dir: Path, out: Path) -> None:
    """polars, lazy: one query plan, collected once."""
    import polars as pl

    synonyms = pl.read_csv(STATUS_SYNONYMS, infer_schema=False).lazy()
    segment_map = pl.read_csv(SEGMENT_MAP, infer_schema=False).with_columns(
        pl.col("r_score_min", "r_score_max", "f_score_min", "f_score_max").cast(pl.Int64),
        pl.col("m_score_min").cast(pl.Int64).fill_null(1),
        pl.col("m_score_max").cast(pl.Int64).fill_null(5),
    )
    text = pl.col("ordered_at").str.strip_chars().str.replace_all("/", "-").str.replace("T", " ")
    ordered_at = pl.coalesce(
        text.str.to_datetime("%Y-%m-%d %H:%M:%S%:z", strict=False, time_zone="UTC"),
        text.str.replace(r"Z$", "").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False).dt.replace_time_zone("UTC"),
        text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
    )
    orders = (
        pl.scan_parquet(data_dir / "orders.parquet")
        .with_columns(spelling=pl.col("status").str.strip_chars().str.to_lowercase().str.replace_all(r"[ _-]+", "_"))
        .join(synonyms, on="spelling")
        .filter(pl.col("order_status").is_in(COUNTED))
        .select(
            pl.col("customer_id").cast(pl.String),
            ordered_at.dt.date().alias("order_date"),
            pl.col("order_total").cast(pl.Decimal(18, 4)),
        )
    )
    customers = (
        orders.with_columns(as_of_date=pl.col("order_date").max() + pl.duration(days=1))
        .group_by("customer_id")
        .agg(
            recency_days=(pl.col("as_of_date").first() - pl.col("order_date").max()).dt.total_days(),
            frequency=pl.len(),
            monetary=pl.col("order_total").sum(),
        )
    )
    n = pl.len()

    def score(column: str, descending: bool) -> pl.Expr:
        rank = pl.col(column).rank(method="min", descending=descending)
        return (1 + (5 * (rank - 1)) // n).cast(pl.Int64)

    scored = customers.with_columns(
        r_score=score("recency_days", descending=True),
        f_score=score("frequency", descending=False),
        m_score=score("monetary", descending=False),
        is_at_risk=(pl.col("recency_days") > pl.col("recency_days").quantile(0.75, interpolation="linear"))
        & (pl.col("frequency") <= pl.col("frequency").quantile(0.25, interpolation="linear")),
    )
    result = scored.join(segment_map.lazy(), how="cross").filter(
        pl.col("r_score").is_between("r_score_min", "r_score_max")
        & pl.col("f_score").is_between("f_score_min", "f_score_max")
        & pl.col("m_score").is_between("m_score_min", "m_score_max")
    )
    result.select(OUTPUT_COLUMNS).sink_parquet(out)


def pandas_eager(data_dir: Path, out: Path) -> None:
    """pandas, as a data scientist would write it: vectorised, eager."""
    import numpy as np
    import pandas as pd

    synonyms = pd.read_csv(STATUS_SYNONYMS, dtype=str)
    segment_map = pd.read_csv(SEGMENT_MAP, dtype={"rfm_segment": str})
    columns = ["customer_id", "ordered_at", "status", "order_total"]
    orders = pd.read_parquet(data_dir / "orders.parquet", columns=columns)
    spelling = orders["status"].str.strip().str.lower().str.replace(r"[ _-]+", "_", regex=True)
    orders["order_status"] = spelling.map(synonyms.set_index("spelling")["order_status"])
    orders = orders[orders["order_status"].isin(COUNTED)]
    ordered_at = pd.to_datetime(orders["ordered_at"].str.strip().str.replace("/", "-"), format="mixed", utc=True)
    orders = orders.assign(
        customer_id=orders["customer_id"].astype(str),
        order_date=ordered_at.dt.tz_localize(None).dt.normalize(),
        # Money in ten-thousandths as integers: exact sums, as decimal(18, 4).
        units=(orders["order_total"].astype(float) * 10_000).round().astype(np.int64),
    )
    as_of_date = orders["order_date"].max() + pd.Timedelta(days=1)
    customers = orders.groupby("customer_id").agg(
        last_order_date=("order_date", "max"), frequency=("order_date", "size"), units=("units", "sum")
    )
    customers["recency_days"] = (as_of_date - customers["last_order_date"]).dt.days
    n = len(customers)
    for name, column, ascending in [
        ("r_score", "recency_days", False),
        ("f_score", "frequency", True),
        ("m_score", "units", True),
    ]:
        rank = customers[column].rank(method="min", ascending=ascending).astype(np.int64)
        customers[name] = 1 + (5 * (rank - 1)) // n
    customers["is_at_risk"] = (customers["recency_days"] > customers["recency_days"].quantile(0.75)) & (
        customers["frequency"] <= customers["frequency"].quantile(0.25)
    )
    segment_map["m_score_min"] = segment_map["m_score_min"].fillna(1)
    segment_map["m_score_max"] = segment_map["m_score_max"].fillna(5)
    cells = {
        (r, f, m): row.rfm_segment
        for row in segment_map.itertuples()
        for r in range(int(row.r_score_min), int(row.r_score_max) + 1)
        for f in range(int(row.f_score_min), int(row.f_score_max) + 1)
        for m in range(int(row.m_score_min), int(row.m_score_max) + 1)
    }
    keys = pd.MultiIndex.from_frame(customers[["r_score", "f_score", "m_score"]])
    customers["rfm_segment"] = pd.Series(cells).reindex(keys).to_numpy()
    customers["monetary"] = customers["units"] / 10_000
    customers.reset_index()[OUTPUT_COLUMNS].to_parquet(out)


METHODS = {"duckdb_sql": duckdb_sql, "polars_lazy": polars_lazy, "pandas": pandas_eager}

if __name__ == "__main__":
    method, data_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    METHODS[method](data_dir, out)
