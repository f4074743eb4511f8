-- What the repurchase probability learns from this build (docs/definitions.md
-- §13), one row: the training anchor (the first day of the as-of date's
-- month) and training_key, which names the anchor, the window and the
-- counted orders dated on or before the anchor (the last window ends on it):
-- their count and a hash of their ids, customers, dates and totals.
-- int_repurchase_training_snapshots trains again when the key changes.
{%- set window_days = var('backtest_window_days') | int %}

with

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
),

as_of as (
    select {{ repurchase_anchor_date('as_of_date') }} as anchor_date
    from {{ ref('int_as_of_date') }}
),

final as (
    select
        as_of.anchor_date,
        {{ dbt.concat([
            "cast(as_of.anchor_date as " ~ dbt.type_string() ~ ")", "'|" ~ window_days ~ "|'",
            "cast(count(counted_orders.order_id) as " ~ dbt.type_string() ~ ")", "'|'",
            "cast(coalesce(" ~ rows_fingerprint(['counted_orders.order_id', 'counted_orders.customer_id',
                'counted_orders.order_date', 'counted_orders.order_total']) ~ ", 0) as " ~ dbt.type_string() ~ ")",
        ]) }} as training_key
    from as_of
    left join counted_orders
        on as_of.anchor_date >= counted_orders.order_date
    group by as_of.anchor_date
)

select * from final
