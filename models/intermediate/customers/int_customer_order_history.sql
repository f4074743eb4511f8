-- Each customer's counted orders and refunds up to the as-of date (docs/definitions.md
-- §1-2), the part of the order metrics that does not move with the
-- as-of date: one row per customer of the customer export, plus one per
-- unknown customer id that placed a counted order (orphan orders count: the
-- purchase happened). Customers without a counted order stay in with
-- frequency 0. Incremental by customer (macros/incremental/
-- incremental_builds.sql); int_customer_order_metrics adds the days.
{%- set scope = refresh_scope('customer_id', 'customers') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
customers_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
    where {{ refreshed_only('customer_id', scope) }}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
    where {{ refreshed_only('customer_id', scope) }}
),

returns as (
    select * from {{ ref('stg_shop__returns') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- Refunds actually paid out on counted orders by the as-of date; an order never
-- refunds more than its total, however many returns it has.
order_refunds as (
    select
        counted_orders.order_id,
        counted_orders.customer_id,
        least(sum(returns.refund_amount), max(counted_orders.order_total)) as refunded_amount
    from returns
    inner join counted_orders
        on returns.order_id = counted_orders.order_id
    cross join as_of
    where
        returns.return_status = 'refunded'
        and cast(returns.requested_at as date) <= as_of.as_of_date
    group by counted_orders.order_id, counted_orders.customer_id
),

customer_refunds as (
    select
        customer_id,
        sum(refunded_amount) as refunded_amount
    from order_refunds
    group by customer_id
),

customer_orders as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as frequency,
        sum(order_total) as monetary
    from counted_orders
    group by customer_id
),

all_customers as (
    select
        customer_id,
        true as is_known_customer
    from customers

    union all

    select distinct
        customer_id,
        false as is_known_customer
    from counted_orders
    where is_orphan_customer
),

final as (
    select
        -- ids
        all_customers.customer_id,
        all_customers.is_known_customer,

        -- dates
        customer_orders.first_order_date,
        customer_orders.last_order_date,

        -- measures
        cast(coalesce(customer_orders.frequency, 0) as integer) as frequency,
        cast(coalesce(customer_orders.monetary, 0) as decimal(18, 4)) as monetary,
        cast(coalesce(customer_refunds.refunded_amount, 0) as decimal(18, 4)) as refunded_amount,

        -- flags
        customer_orders.customer_id is not null as has_counted_order,

        {{ refresh_columns() }}
    from all_customers
    left join customer_orders
        on all_customers.customer_id = customer_orders.customer_id
    left join customer_refunds
        on all_customers.customer_id = customer_refunds.customer_id
)

select * from final
