-- The orders that count (docs/definitions.md §2): a status in var
-- counted_order_statuses, ordered on or before the as-of date, flagged when
-- the customer export does not know the ordering customer (kept: the order
-- still happened). Every metric downstream reads orders through this view of
-- int_orders, which holds every order and decides which count.
{{ config(materialized='view') }}

with

orders as (
    select * from {{ ref('int_orders') }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        order_date,
        delivered_at,
        order_status,
        order_total,
        is_orphan_customer
    from orders
    where is_counted
)

select * from final
