-- Each customer's return behaviour as of the as-of date (docs/definitions.md
-- §6): counted orders, orders with an accepted return, the return
-- rate, returns, refunded and ordered value, the last return, the average
-- value of kept orders and the lifetime value after refunds. One row per
-- customer of int_customer_order_history; the population is the purchasing
-- customers (counted_orders > 0), whom every reader keeps. Incremental by
-- customer (macros/incremental/incremental_builds.sql).
-- depends_on: {{ ref('int_customer_changes') }}, {{ ref('stg_shop__orders') }}

with

{% if is_incremental() -%}
customers_to_refresh as {{ materialized() }} (
    {{ keys_to_refresh(
        'customer_id', ref('int_customer_changes'), ref('int_as_of_date'), orders=ref('stg_shop__orders')
    ) }}
),

{% endif -%}
accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

order_history as (
    select * from {{ ref('int_customer_order_history') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- A return of a whole order and several line returns alike mark the order
-- returned once.
order_returns as (
    select
        order_id,
        customer_id,
        count(*) as return_count,
        sum(refund_amount) as refunded_value,
        max(requested_date) as last_return_date,
        max(order_total) as order_total
    from accepted_returns
    group by order_id, customer_id
),

customer_returns as (
    select
        customer_id,
        count(*) as returned_orders,
        sum(return_count) as total_returns,
        sum(refunded_value) as refunded_value,
        sum(order_total) as returned_order_total,
        max(last_return_date) as last_return_date
    from order_returns
    group by customer_id
),

-- The counted orders and their value are the order history's; the kept orders
-- (no accepted return) are those less the returned ones, so only the returned
-- orders are read here: grouping every counted order again was the model's
-- cost (DECISIONS.md, Performance).
customer_orders as (
    select
        order_history.customer_id,
        order_history.frequency as counted_orders,
        coalesce(customer_returns.returned_orders, 0) as returned_orders,
        coalesce(customer_returns.total_returns, 0) as total_returns,
        coalesce(customer_returns.refunded_value, 0) as refunded_value,
        order_history.monetary as ordered_value,
        order_history.monetary - order_history.refunded_amount as ltv,
        customer_returns.last_return_date,
        order_history.monetary - coalesce(customer_returns.returned_order_total, 0) as kept_order_total,
        order_history.frequency - coalesce(customer_returns.returned_orders, 0) as kept_orders
    from order_history
    left join customer_returns
        on order_history.customer_id = customer_returns.customer_id
),

final as (
    select
        -- ids
        customer_orders.customer_id,

        -- counts
        cast(customer_orders.counted_orders as integer) as counted_orders,
        cast(customer_orders.returned_orders as integer) as returned_orders,
        cast(customer_orders.total_returns as integer) as total_returns,
        cast(customer_orders.returned_orders as {{ type_double() }})
        / nullif(customer_orders.counted_orders, 0) as return_rate,

        -- values
        cast(customer_orders.refunded_value as decimal(18, 4)) as refunded_value,
        cast(customer_orders.ordered_value as decimal(18, 4)) as ordered_value,
        -- Averaged by money_ratio (exact, half away from zero), never avg().
        {{ money_ratio('customer_orders.kept_order_total', 'customer_orders.kept_orders') }} as avg_order_value,
        cast(customer_orders.ltv as decimal(18, 4)) as ltv,

        -- dates
        customer_orders.last_return_date,

        {{ refresh_columns('as_of') }}
    from customer_orders
)

select * from final
