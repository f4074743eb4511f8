-- Every line of a counted order, and whether it was returned: by a return
-- naming the line, or by a return of the whole order. Bracketing and the
-- categories of returned goods are read from here. Incremental by order
-- (macros/incremental/rows_to_refresh.sql).
{%- set scope = refresh_scope('order_id', 'int_customer_changes_with_lines') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
orders_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
    where {{ refreshed_only('order_id', scope) }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
    where {{ refreshed_only('order_id', scope) }}
),

accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
    where {{ refreshed_only('order_id', scope) }}
),

returned_lines as (
    select
        order_id,
        line_number
    from accepted_returns
    where not is_whole_order_return
    group by order_id, line_number
),

returned_orders as (
    select order_id
    from accepted_returns
    where is_whole_order_return
    group by order_id
),

final as (
    select
        -- ids
        order_items.order_id,
        order_items.line_number,
        counted_orders.customer_id,
        order_items.product_id,

        -- line
        order_items.category,
        order_items.variant,
        order_items.line_total,
        returned_lines.order_id is not null or returned_orders.order_id is not null as is_returned,

        {{ refresh_columns() }}
    from order_items
    inner join counted_orders
        on order_items.order_id = counted_orders.order_id
    left join returned_lines
        on
            order_items.order_id = returned_lines.order_id
            and order_items.line_number = returned_lines.line_number
    left join returned_orders
        on order_items.order_id = returned_orders.order_id
)

select * from final
