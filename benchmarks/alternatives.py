"""The core RFM and at-risk outputs computed the ways users would otherwise compute them.

Each method reads the raw Parquet files of one generated shop (`--dirt 0`: clean rows, real-world
spellings and date formats) and writes one row per purchaser with recency, frequency, monetary,
the R, F and M scores, the RFM segment and the at-risk flag, under the project's rules
(docs/definitions.md sections 1-5, default vars). duckdb_sql, polars_lazy and pandas
trust the rows to be clean, as users who know their data is clean would; duckdb_rules applies the
project's staging rules to every raw order first (see its docstring), so it gives the project's
results on a dirty shop too: the floor of what the project's rules cost. All of them:

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
# The project's staging patterns (macros/cleaning/parse_timestamp.sql, timestamp_pattern; parse_decimal.sql),
# rendered for DuckDB; tests/python/test_benchmark_harness.py checks they still equal the macros'.
TIMESTAMP_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
TIMESTAMP_DATE = "(" + TIMESTAMP_YEAR + "[-/](?:0[1-9]|1[0-2])[-/](?:0[1-9]|[12][0-9]|3[01]))"
TIMESTAMP_TIME = "((?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?)"
TIMESTAMP_ZONE = "(?:Z|([+-])(0[0-9]|1[0-4]):?([0-5][0-9])?)"
TIMESTAMP_PATTERN = "^" + TIMESTAMP_DATE + "(?:[T ]" + TIMESTAMP_TIME + TIMESTAMP_ZONE + "?)?$"
DECIMAL_PATTERN = "^[+-]?([0-9]{1,13}([.][0-9]*)?|[.][0-9]+)$"
ORDER_COLUMNS = [
    "order_id", "customer_id", "ordered_at", "status", "order_total", "currency", "delivered_at", "updated_at",
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
            cast(scored.customer_id as varchar) as customer_id, scored.recency_days, scored.frequency, scored.monetary,
            scored.r_score, scored.f_score, scored.m_score, segment_map.rfm_segment, scored.is_at_risk
        from scored
        join segment_map
            on scored.r_score between cast(segment_map.r_score_min as int) and cast(segment_map.r_score_max as int)
            and scored.f_score between cast(segment_map.f_score_min as int) and cast(segment_map.f_score_max as int)
            and scored.m_score between coalesce(cast(segment_map.m_score_min as int), 1)
                and coalesce(cast(segment_map.m_score_max as int), 5)
        ) to '{out}' (format parquet)
    """)  # noqa: S608 - paths and fixed lists, not user input


def raw_text(column: str, data_type: str) -> str:
    """A raw column as the contract's text (macros/raw_data/raw_column_text.sql): an id held as a
    float or decimal is written as the integer it is; every other value is cast as it is."""
    fractional = data_type.lower().startswith(("float", "double", "real", "decimal", "numeric"))
    if column.endswith("_id") and fractional:
        return (
            f"case when {column} = floor({column}) and abs({column}) < 1e18 "
            f"then cast(cast({column} as bigint) as varchar) else cast({column} as varchar) end"
        )
    return f"cast({column} as varchar)"


def raw_key(column: str, data_type: str) -> str:
    """A raw id column as a key: its clean text (clean_text of raw_text), or, when the file holds it
    as an integer, the integer itself, which names the same key (its text has no spaces and is never
    blank) and groups and joins faster than text."""
    if data_type.upper() in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"):
        return column
    return clean_text(raw_text(column, data_type))


def clean_text(expression: str) -> str:
    """macros/cleaning/clean_text.sql (DuckDB): spaces (only) trimmed, blank to null; only the texts
    that need it are trimmed, as trim copies every text it is given."""
    return (
        f"case when {expression} = '' or prefix({expression}, ' ') or suffix({expression}, ' ') "
        f"then nullif(trim({expression}, ' '), '') else {expression} end"
    )


def parse_timestamp(expression: str) -> str:
    """macros/cleaning/parse_timestamp.sql (DuckDB): the contract's pattern decides, then one cast to UTC."""
    text = f"replace({expression}, '/', '-')"
    return f"""case when regexp_matches({expression}, '{TIMESTAMP_PATTERN}') then
            case
                when contains(substr({expression}, 11), '+') or contains(substr({expression}, 11), '-')
                    then timezone('UTC', try_cast({text} as timestamptz))
                else try_cast({text} as timestamp)
            end
        end"""


def duckdb_rules(data_dir: Path, out: Path) -> None:
    """Hand-written DuckDB SQL under the project's staging rules: the floor of what the project does.

    Reads only the raw orders: every compared column comes from them (the customers and returns that
    dbt_core stages too give at_risk_customers its attributes and net monetary, compared nowhere).
    Each raw value as the contract's text, trimmed, blank as null (macros/cleaning); the versions of
    an order ranked by updated_at, latest first and unparseable last, then by the project's
    fingerprint (an md5 of the raw texts); the winning version, parsed by the project's patterns and
    its status looked up in the synonyms seed, rejected with its order when it lacks a customer, a
    date, a status or a total, or its date does not parse or lies after now, its status is unknown or
    its total is not a number or negative. Clean orders with a counted status up to the as-of date
    count. Rows without an order id are rejected before any of this.
    """
    import duckdb

    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    source = f"read_parquet('{data_dir}/orders.parquet')"
    types = dict(con.execute(f"select column_name, column_type from (describe select * from {source})").fetchall())
    raw = ",\n                ".join(f"{raw_text(column, types[column])} as raw_{column}" for column in ORDER_COLUMNS)
    fingerprint = " || '|' || ".join(f"coalesce(raw_{column}, '')" for column in ORDER_COLUMNS)
    winner = ", ".join(["raw_status", "customer_id", "ordered_at_text", "order_total_text"])
    counted = ", ".join(f"'{status}'" for status in COUNTED)
    con.execute(f"""
        copy (
        with synonyms as (select * from read_csv('{STATUS_SYNONYMS}', all_varchar = true)),
        segment_map as (select * from read_csv('{SEGMENT_MAP}', all_varchar = true)),
        -- Read where used (each read takes only the columns it needs), never stored.
        raw_orders as not materialized (
            select
                {raw},
                {raw_key("order_id", types["order_id"])} as order_id,
                {raw_key("customer_id", types["customer_id"])} as customer_id
            from {source}
        ),
        trimmed as not materialized (
            select
                *,
                {clean_text("raw_ordered_at")} as ordered_at_text,
                {clean_text("raw_order_total")} as order_total_text
            from raw_orders
        ),
        -- Versions: only the ids exported more than once are ranked. A row without an id is
        -- rejected, never a version of an order.
        versioned_ids as (
            select order_id from trimmed where order_id is not null group by order_id having count(*) > 1
        ),
        latest as (
            select {winner}
            from trimmed
            anti join versioned_ids using (order_id)
            where order_id is not null

            union all

            select {winner}
            from trimmed
            semi join versioned_ids using (order_id)
            qualify row_number() over (
                partition by order_id
                order by {parse_timestamp(clean_text("raw_updated_at"))} desc nulls last, md5({fingerprint}) desc
            ) = 1
        ),
        -- Statuses are few: each distinct raw spelling looked up once (macros/cleaning/vocabulary_key.sql).
        status_lookup as (
            select raw_statuses.raw_status, synonyms.order_status
            from (select distinct raw_status from latest) as raw_statuses
            left join synonyms
                on regexp_replace(replace(lower(trim(raw_statuses.raw_status, ' ')), '''', ''), '[ _-]+', '_', 'g')
                    = synonyms.spelling
        ),
        parsed as (
            select
                latest.customer_id,
                status_lookup.order_status,
                {parse_timestamp("latest.ordered_at_text")} as ordered_at,
                case when regexp_matches(latest.order_total_text, '{DECIMAL_PATTERN}')
                    then cast(latest.order_total_text as decimal(18, 4)) end as order_total
            from latest
            left join status_lookup on latest.raw_status = status_lookup.raw_status
        ),
        clean as (
            select customer_id, order_status, cast(ordered_at as date) as order_date, order_total
            from parsed
            where
                customer_id is not null
                and ordered_at <= timezone('UTC', current_timestamp)  -- null when missing or unparseable
                and order_status is not null  -- null when missing or unknown
                and order_total >= 0  -- null when missing or not a number
        ),
        as_of as (
            select coalesce(max(order_date) + 1, current_date) as as_of_date
            from clean
            where order_status in ({counted})
        ),
        orders as (
            select clean.*
            from clean, as_of
            where clean.order_status in ({counted}) and clean.order_date <= as_of.as_of_date
        ),
        customers as (
            select
                customer_id,
                date_diff('day', max(order_date), any_value(as_of_date)) as recency_days,
                count(*) as frequency,
                cast(sum(order_total) as decimal(18, 4)) as monetary
            from orders, as_of
            group by customer_id
        ),
        population as (
            select
                count(*) as n,
                quantile_cont(cast(recency_days as double), 0.75) as recency_threshold,
                quantile_cont(cast(frequency as double), 0.25) as frequency_threshold
            from customers
        ),
        scored as (
            select
                customers.*,
                1 + (5 * (rank() over (order by recency_days desc) - 1)) // n as r_score,
                1 + (5 * (rank() over (order by frequency) - 1)) // n as f_score,
                1 + (5 * (rank() over (order by monetary) - 1)) // n as m_score,
                coalesce(recency_days > recency_threshold and frequency <= frequency_threshold, false)
                    as is_at_risk
            from customers, population
        )
        select
            cast(scored.customer_id as varchar) as customer_id, scored.recency_days, scored.frequency, scored.monetary,
            scored.r_score, scored.f_score, scored.m_score, segment_map.rfm_segment, scored.is_at_risk
        from scored
        left join segment_map
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


METHODS = {"duckdb_sql": duckdb_sql, "duckdb_rules": duckdb_rules, "polars_lazy": polars_lazy, "pandas": pandas_eager}

if __name__ == "__main__":
    method, data_dir, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    METHODS[method](data_dir, out)
