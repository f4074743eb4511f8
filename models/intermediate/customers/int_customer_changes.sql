-- When each customer's, order's and return's raw rows were staged, and when
-- they ordered or asked for a return: what the incremental intermediate
-- models read to find the orders and customers a daily build recomputes
-- (macros/incremental/rows_to_refresh.sql). Every version of a row counts,
-- superseded and rejected ones too: a new export of an order that moves it to
-- another customer changes both customers. Returns carry their order; the
-- order's current (clean) row names its customer. Order lines are left to
-- int_customer_changes_with_lines, so the order metrics (which read no lines)
-- never wait for the largest table to be staged. No join here: a
-- build filters this view on staged_at and on activity_at first (plain
-- column ranges, which prune by zone maps), and only then looks up the
-- customers of the few orders left. A view: always as current as the staged
-- rows.
{{ config(materialized='view') }}

with

customer_rows as (
    select * from {{ ref('stg_shop__customer_rows') }}
),

order_rows as (
    select * from {{ ref('stg_shop__order_rows') }}
),

return_rows as (
    select * from {{ ref('stg_shop__return_rows') }}
),

changes as (
    select
        customer_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        staged_at,
        cast(null as timestamp) as activity_at,
        false as is_current_order
    from customer_rows

    union all

    select
        customer_id,
        order_id,
        staged_at,
        ordered_at as activity_at,
        row_disposition = 'clean' as is_current_order
    from order_rows

    union all

    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        order_id,
        staged_at,
        requested_at as activity_at,
        false as is_current_order
    from return_rows
),

final as (
    select
        customer_id,
        order_id,
        staged_at,
        activity_at,
        is_current_order
    from changes
    where customer_id is not null or order_id is not null
)

select * from final
