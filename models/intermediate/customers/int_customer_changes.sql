-- Every staged row version with the customer or order it concerns: its
-- kind, when it was staged, the moment it records (an order's time, a
-- return's request) and its load. Customer and order rows name their
-- customer; lines and returns name their order, whose current version names
-- the customer (keys_to_refresh looks it up for the few rows it reads).
-- The incremental per-customer models find the customers to recompute in it
-- (macros/incremental/incremental_builds.sql), and the customer ids they hold
-- a row for: those of the customer and order rows. A view without joins, so
-- that a reader's filter on staged_at reaches each staged table's scan.
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

final as (
    select
        customer_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        'customer' as change_kind,
        staged_at,
        cast(null as timestamp) as active_at,
        load_id
    from customer_rows
    where customer_id is not null

    union all

    select
        customer_id,
        order_id,
        'order' as change_kind,
        staged_at,
        ordered_at as active_at,
        load_id
    from order_rows
    where customer_id is not null

    union all

    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        order_id,
        'order_item' as change_kind,
        staged_at,
        cast(null as timestamp) as active_at,
        load_id
    from order_item_rows
    where order_id is not null

    union all

    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        order_id,
        'return' as change_kind,
        staged_at,
        requested_at as active_at,
        load_id
    from return_rows
    where order_id is not null
)

select * from final
