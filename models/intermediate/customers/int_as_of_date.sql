-- The one day every metric and segment of this build is evaluated on (docs/definitions.md
-- §1): var as_of_date when set, else the day after the latest counted
-- order, so a build over a fixed dataset gives the same result on any day.
-- With no counted order at all, the current date. Reads the staged order rows
-- (their clean rows are stg_shop__orders) rather than stg_shop__orders: that
-- view joins every order to the customers for a flag unused here, and every
-- incremental model waits for this one (DECISIONS.md, Performance).
{%- set as_of_expression = as_of_date_override() or (
    'coalesce(' ~ add_days('latest_order_date', 1) ~ ', current_date)'
) %}

with

order_rows as (
    select * from {{ ref('stg_shop__order_rows') }}
),

latest_counted_order as (
    select cast(max(ordered_at) as date) as latest_order_date
    from order_rows
    where
        row_disposition = 'clean'
        and order_status in {{ sql_list(var('counted_order_statuses')) }}
),

final as (
    select {{ as_of_expression }} as as_of_date
    from latest_counted_order
)

select * from final
