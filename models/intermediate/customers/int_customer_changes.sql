-- When each customer's raw rows were staged, and the days they ordered or
-- asked for a return: what the incremental intermediate models read to find
-- the customers a daily build recomputes (macros/incremental/
-- customers_to_refresh.sql). Every version of a row counts, superseded and
-- rejected ones too: a new export of an order that moves it to another
-- customer changes both customers. Lines and returns belong to the customer
-- of their order. A view: always as current as the staged rows.
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

order_customers as (
    select
        order_id,
        customer_id
    from order_rows
    where row_disposition = 'clean'
),

changes as (
    select
        customer_id,
        staged_at,
        cast(null as date) as activity_date
    from customer_rows

    union all

    select
        customer_id,
        staged_at,
        cast(ordered_at as date) as activity_date
    from order_rows

    union all

    select
        order_customers.customer_id,
        order_item_rows.staged_at,
        cast(null as date) as activity_date
    from order_item_rows
    inner join order_customers
        on order_item_rows.order_id = order_customers.order_id

    union all

    select
        order_customers.customer_id,
        return_rows.staged_at,
        cast(return_rows.requested_at as date) as activity_date
    from return_rows
    inner join order_customers
        on return_rows.order_id = order_customers.order_id
),

final as (
    select
        customer_id,
        staged_at,
        activity_date
    from changes
    where customer_id is not null
)

select * from final
