-- The one day every metric and segment of this build is evaluated on (spec
-- section 1): var as_of_date when set, else the day after the latest counted
-- order, so a build over a fixed dataset gives the same result on any day.
-- With no counted order at all, the current date.
{%- set as_of_expression = as_of_date_override() or (
    'coalesce(' ~ add_days('latest_order_date', 1) ~ ', current_date)'
) %}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

latest_counted_order as (
    select max(order_date) as latest_order_date
    from orders
    where order_status in {{ sql_list(get_var('counted_order_statuses')) }}
),

final as (
    select {{ as_of_expression }} as as_of_date
    from latest_counted_order
)

select * from final
