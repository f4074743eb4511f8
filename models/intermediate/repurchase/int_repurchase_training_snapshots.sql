-- The customers the repurchase probability learns from (docs/definitions.md
-- §13), as stored: read them through int_repurchase_snapshots, which shows
-- this build's training only. One row per training snapshot and customer
-- with a counted order on or before it: recency, frequency, monetary value
-- and tenure from the counted orders dated on or before the snapshot, their
-- bins, and whether the customer bought again (a counted order) in the
-- window of var backtest_window_days after it. The snapshots lie before the
-- training anchor (the first day of the as-of date's month): s1 one window
-- before, s2 and s3 two and three, y0 365 days before, y1 and y2 a window
-- and two before that. A snapshot whose window is not over by the anchor
-- has no outcome (null). Bins are ranks within the snapshot, not fixed day
-- limits: a shop whose customers all age by a window between training and
-- scoring keeps its bins comparable. The as-of date's own snapshot, scored
-- every day, is int_repurchase_as_of_snapshot.
--
-- Incremental: a build trains again only when training_key changes
-- (int_repurchase_training: the anchor, the window, the counted orders dated
-- on or before the anchor), so once a month, or when a load corrects an
-- order it learned from. The unique key is training_set, the same on every
-- row, so a new training replaces every row; one that stands inserts
-- nothing. trained_at says when it was trained.
{%- set window_days = var('backtest_window_days') | int %}
{#- Each snapshot: its name and how many days before the training anchor. -#}
{%- set snapshots = [
    ('s1', window_days), ('s2', 2 * window_days), ('s3', 3 * window_days),
    ('y0', 365), ('y1', window_days + 365), ('y2', 2 * window_days + 365),
] %}
{%- set monetary_snapshots = ['s1', 's2'] %}
{{ config(
    materialized='incremental' if target.type in ['duckdb', 'postgres'] else 'table',
    unique_key='training_set',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
),

-- This build's training, unless the rows stored were trained from the same key.
to_train as (
    select
        training_key,
        anchor_date
    from {{ ref('int_repurchase_training') }}
    {%- if is_incremental() %}
    where training_key not in (select training_key from {{ this }})
    {%- endif %}
),

snapshot_dates as (
    select
        to_train.training_key,
        to_train.anchor_date,
        {{ repurchase_snapshot_dates('to_train.anchor_date', snapshots, window_days) }}
    from to_train
),

-- One pass over the orders: each snapshot's figures per customer as
-- conditional aggregates. The repeated SQL is in
-- macros/repurchase/repurchase_snapshots.sql.
per_customer as (
    select
        counted_orders.customer_id,
        {{ repurchase_snapshot_aggregates(snapshots, window_days, monetary_snapshots) }}
    from counted_orders
    inner join snapshot_dates
        on counted_orders.order_date <= snapshot_dates.anchor_date
    group by counted_orders.customer_id
),

measured as (
    {{ repurchase_snapshot_rows(snapshots, window_days, monetary_snapshots) }}
),

binned as (
    {{ repurchase_bins('measured') }}
),

final as (
    select
        binned.snapshot_name,
        binned.snapshot_date,
        binned.customer_id,
        binned.recency_days,
        binned.frequency,
        binned.monetary,
        binned.tenure_days,
        binned.frequency_bin,
        binned.recency_bin,
        binned.tenure_bin,
        binned.bought_in_window,
        snapshot_dates.training_key,
        'repurchase' as training_set,
        {{ staged_at() }} as trained_at
    from binned
    cross join snapshot_dates
)

select * from final
