-- Every purchasing customer as of each snapshot date the repurchase
-- probability learns from or scores (docs/definitions.md §13), one row per
-- snapshot and customer: recency, frequency, monetary value and tenure from the counted
-- orders dated on or before the snapshot, their bins, and whether the
-- customer bought again (a counted order) in the window of
-- var backtest_window_days after it. Snapshots step back one window (s0 is
-- the as-of date, s1 one window before, ...) and a year (y0 is s0 less 365
-- days, ...). A snapshot whose window is not over by the as-of date has no
-- outcome (null). Bins are ranks within the snapshot, not fixed day
-- limits: a shop whose customers all age by a window between training and
-- scoring keeps its bins comparable.
{%- set window_days = get_var('backtest_window_days') %}
{#- Each snapshot: its name and how many days before the as-of date it lies. -#}
{%- set snapshots = [
    ('s0', 0), ('s1', window_days), ('s2', 2 * window_days), ('s3', 3 * window_days),
    ('y0', 365), ('y1', window_days + 365), ('y2', 2 * window_days + 365),
] %}
{#- Monetary value only where something reads it: the evaluation's RFM
    segments at s1 and s2. Each other sum widened the per-customer
    aggregate below, which spilled to disk (DECISIONS.md, Performance). -#}
{%- set monetary_snapshots = ['s1', 's2'] %}

with

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

snapshot_dates as (
    select
        {{ repurchase_snapshot_dates(snapshots, window_days) }}
    from as_of
),

-- One pass over the orders: each snapshot's figures per customer as
-- conditional aggregates (joined to the seven dates, every order was read
-- seven times). The repeated SQL is in
-- macros/repurchase/repurchase_snapshots.sql.
per_customer as (
    select
        counted_orders.customer_id,
        {{ repurchase_snapshot_aggregates(snapshots, window_days, monetary_snapshots) }}
    from counted_orders
    cross join snapshot_dates
    group by counted_orders.customer_id
),

measured as (
    {{ repurchase_snapshot_rows(snapshots, window_days, monetary_snapshots) }}
),

-- Frequency bins: 1, 2, 3, 4, 5-6, 7-9, 10-14, 15+ orders (0 to 7).
frequency_binned as (
    select
        *,
        case when frequency > 1 then 1 else 0 end
        + case when frequency > 2 then 1 else 0 end
        + case when frequency > 3 then 1 else 0 end
        + case when frequency > 4 then 1 else 0 end
        + case when frequency > 6 then 1 else 0 end
        + case when frequency > 9 then 1 else 0 end
        + case when frequency > 14 then 1 else 0 end as frequency_bin
    from measured
),

-- Tenths of recency among the customers of the same frequency bin, 1 the
-- longest since the last order; fifths of tenure, 1 the newest. Scored once
-- per distinct value and joined back (macros/scoring/quantile_score.sql).
recency_tenths as (
    {{ quantile_scores_of_values('frequency_binned', 'recency_days', higher_is_better=false, buckets=10,
        partition_by=['snapshot_name', 'frequency_bin']) }}
),

tenure_fifths as (
    {{ quantile_scores_of_values('frequency_binned', 'tenure_days', higher_is_better=true,
        partition_by=['snapshot_name']) }}
),

-- Left joins, though every row has its scores, so that DuckDB hashes the few
-- scored values: with inner joins it misjudged the sides and hashed the
-- snapshot rows (DECISIONS.md, Performance).
final as (
    select
        frequency_binned.snapshot_name,
        frequency_binned.snapshot_date,
        frequency_binned.customer_id,
        frequency_binned.recency_days,
        frequency_binned.frequency,
        frequency_binned.monetary,
        frequency_binned.tenure_days,
        frequency_binned.frequency_bin,
        recency_tenths.score as recency_bin,
        tenure_fifths.score as tenure_bin,
        frequency_binned.bought_in_window
    from frequency_binned
    left join recency_tenths
        on
            frequency_binned.snapshot_name = recency_tenths.snapshot_name
            and frequency_binned.frequency_bin = recency_tenths.frequency_bin
            and frequency_binned.recency_days = recency_tenths.recency_days
    left join tenure_fifths
        on
            frequency_binned.snapshot_name = tenure_fifths.snapshot_name
            and frequency_binned.tenure_days = tenure_fifths.tenure_days
)

select * from final
