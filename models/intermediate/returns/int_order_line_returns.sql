-- Every returned line of a counted order: named by an accepted return, or
-- a line of an order returned whole. Bracketing and the categories of
-- returned goods are read from here. Returned lines only, a small share of
-- all lines: writing a row for every line was the cost (DECISIONS.md,
-- Performance). Incremental by order (macros/incremental/incremental_builds.sql).
{%- set scope = refresh_scope('order_id', 'orders') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
orders_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
    where {{ refreshed_only('order_id', scope) }}
),

accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
    where {{ refreshed_only('order_id', scope) }}
),

-- The orders with an accepted return, their customer, and whether one of
-- them returned the whole order.
returned_orders as (
    select
        order_id,
        customer_id,
        max(case when is_whole_order_return then 1 else 0 end) = 1 as is_returned_whole
    from accepted_returns
    group by order_id, customer_id
),

returned_line_numbers as (
    select
        order_id,
        line_number
    from accepted_returns
    where not is_whole_order_return
    group by order_id, line_number
),

final as (
    select
        -- ids
        order_items.order_id,
        order_items.line_number,
        returned_orders.customer_id,
        order_items.product_id,

        -- line
        order_items.category,
        order_items.variant,

        {{ refresh_columns() }}
    from order_items
    inner join returned_orders
        on order_items.order_id = returned_orders.order_id
    left join returned_line_numbers
        on
            order_items.order_id = returned_line_numbers.order_id
            and order_items.line_number = returned_line_numbers.line_number
    where
        returned_orders.is_returned_whole
        or returned_line_numbers.order_id is not null
)

select * from final
