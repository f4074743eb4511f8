-- Every staged row version as the customer it concerns: its kind, when it
-- was staged, the moment it records (an order's time, a return's request)
-- and its load. The incremental per-customer models find the customers to
-- recompute in it (macros/incremental/incremental_builds.sql), and the
-- customer ids they hold a row for: those of the customer and order rows.
-- Lines and returns concern the customer of their order's current version.
-- A view: each reader filters it first.
{{ config(materialized='view') }}

with

customer_rows as (
    select * from {{ ref('stg_shop__customer_rows') }}
),

order_rows as (
    select * from {{ ref('stg_shop__order_rows') }}
),

order_item_rows as (
    select * from {{ ref('stg_shop__order_item_rows') }}
),

return_rows as (
    select * from {{ ref('stg_shop__return_rows') }}
),

current_orders as (
    select
        order_id,
        customer_id
    from order_rows
    where row_disposition = 'clean'
),

final as (
    select
        customer_id,
        'customer' as change_kind,
        staged_at,
        cast(null as timestamp) as active_at,
        load_id
    from customer_rows
    where customer_id is not null

    union all

    select
        customer_id,
        'order' as change_kind,
        staged_at,
        ordered_at as active_at,
        load_id
    from order_rows
    where customer_id is not null

    union all

    select
        current_orders.customer_id,
        'order_item' as change_kind,
        order_item_rows.staged_at,
        cast(null as timestamp) as active_at,
        order_item_rows.load_id
    from order_item_rows
    inner join current_orders
        on order_item_rows.order_id = current_orders.order_id

    union all

    select
        current_orders.customer_id,
        'return' as change_kind,
        return_rows.staged_at,
        return_rows.requested_at as active_at,
        return_rows.load_id
    from return_rows
    inner join current_orders
        on return_rows.order_id = current_orders.order_id
)

select * from final
