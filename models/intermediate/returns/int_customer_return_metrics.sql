-- Each purchasing customer's return behaviour as of the as-of date (docs/definitions.md
-- §6): counted orders, orders with an accepted return, the return
-- rate, returns, refunded and ordered value, the last return, the average
-- value of kept orders and the lifetime value after refunds. Incremental by
-- customer (macros/incremental/incremental_builds.sql).
{%- set scope = refresh_scope('customer_id', 'customers_and_lines') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
customers_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
    where {{ refreshed_only('customer_id', scope) }}
),

accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
    where {{ refreshed_only('customer_id', scope) }}
),

order_history as (
    select * from {{ ref('int_customer_order_history') }}
    where {{ refreshed_only('customer_id', scope) }}
),

-- A return of a whole order and several line returns alike mark the order
-- returned once.
order_returns as (
    select
        order_id,
        count(*) as return_count,
        sum(refund_amount) as refunded_value,
        max(requested_date) as last_return_date
    from accepted_returns
    group by order_id
),

customer_orders as (
    select
        counted_orders.customer_id,
        count(*) as counted_orders,
        count(order_returns.order_id) as returned_orders,
        coalesce(sum(order_returns.return_count), 0) as total_returns,
        coalesce(sum(order_returns.refunded_value), 0) as refunded_value,
        sum(counted_orders.order_total) as ordered_value,
        max(order_returns.last_return_date) as last_return_date,
        -- Kept orders (no accepted return): their value and number, averaged
        -- by money_ratio (exact, half away from zero), never avg().
        sum(case when order_returns.order_id is null then counted_orders.order_total end) as kept_order_total,
        count(case when order_returns.order_id is null then counted_orders.order_id end) as kept_orders
    from counted_orders
    left join order_returns
        on counted_orders.order_id = order_returns.order_id
    group by counted_orders.customer_id
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
        / customer_orders.counted_orders as return_rate,

        -- values
        cast(customer_orders.refunded_value as decimal(18, 4)) as refunded_value,
        cast(customer_orders.ordered_value as decimal(18, 4)) as ordered_value,
        {{ money_ratio('customer_orders.kept_order_total', 'customer_orders.kept_orders') }} as avg_order_value,
        cast(order_history.monetary - order_history.refunded_amount as decimal(18, 4)) as ltv,

        -- dates
        customer_orders.last_return_date,

        {{ refresh_columns() }}
    from customer_orders
    inner join order_history
        on customer_orders.customer_id = order_history.customer_id
)

select * from final
