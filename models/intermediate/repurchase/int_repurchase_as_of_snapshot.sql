-- The snapshot the published repurchase probability scores (docs/definitions.md
-- §13), s0: every purchasing customer at the as-of date, from the current
-- customer metrics, binned as the training snapshots are
-- (int_repurchase_snapshots). Computed on every build; its window is not over.

with

order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
    where has_counted_order
),

measured as (
    select
        's0' as snapshot_name,
        as_of_date as snapshot_date,
        customer_id,
        recency_days,
        frequency,
        tenure_days
    from order_metrics
),

binned as (
    {{ repurchase_bins('measured') }}
),

final as (
    select
        snapshot_name,
        snapshot_date,
        customer_id,
        recency_days,
        frequency,
        tenure_days,
        frequency_bin,
        recency_bin,
        tenure_bin
    from binned
)

select * from final
