-- Each customer's order metrics as of the as-of date (spec sections 1-2): one
-- row per customer of the customer export, plus one per unknown customer id
-- that placed a counted order (orphan orders count: the purchase happened).
-- Customers without a counted order stay in with frequency 0.
with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
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
    where
        returns.return_status = 'refunded'
        and cast(returns.requested_at as date) <= counted_orders.as_of_date
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
        max(as_of_date) as as_of_date,
        count(*) as frequency,
        sum(order_total) as monetary
    from counted_orders
    group by customer_id
),

customer_order_days as (
    select
        *,
        -- dbt.datediff renders one long line per adapter: hence the noqa.
        cast({{ dbt.datediff('last_order_date', 'as_of_date', 'day') }} as integer) as recency_days,  -- noqa: LT05
        cast({{ dbt.datediff('first_order_date', 'as_of_date', 'day') }} as integer) as tenure_days  -- noqa: LT05
    from customer_orders
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
        as_of.as_of_date,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.recency_days,
        customer_orders.tenure_days,

        -- measures
        cast(coalesce(customer_orders.frequency, 0) as integer) as frequency,
        cast(coalesce(customer_orders.monetary, 0) as decimal(18, 4)) as monetary,
        cast(coalesce(customer_refunds.refunded_amount, 0) as decimal(18, 4)) as refunded_amount,
        cast(
            coalesce(customer_orders.monetary, 0) - coalesce(customer_refunds.refunded_amount, 0)
            as decimal(18, 4)
        ) as net_monetary,
        cast(customer_orders.monetary / customer_orders.frequency as decimal(18, 4)) as average_order_value,

        -- flags
        customer_orders.customer_id is not null as has_counted_order
    from all_customers
    cross join as_of
    left join customer_order_days as customer_orders
        on all_customers.customer_id = customer_orders.customer_id
    left join customer_refunds
        on all_customers.customer_id = customer_refunds.customer_id
)

select * from final
