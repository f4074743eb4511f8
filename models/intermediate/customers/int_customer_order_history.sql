-- Each customer's counted orders and refunds up to the as-of date (docs/definitions.md
-- §1-2), the part of the order metrics that does not move with the
-- as-of date. One row per customer id ever staged: the customer export's
-- (is_known_customer) and every id an order row names (orphan orders count:
-- the purchase happened). The population is the known customers and those
-- with a counted order (int_customer_order_metrics); the other rows keep the
-- table's keys for incremental builds. Incremental by customer: a daily
-- build recomputes the customers keys_to_refresh finds
-- (macros/incremental/incremental_builds.sql); int_customer_order_metrics
-- adds the days.
-- depends_on: {{ ref('stg_shop__orders') }}

with

{% if is_incremental() -%}
customers_to_refresh as {{ materialized() }} (
    {{ keys_to_refresh(
        'customer_id', ref('int_customer_changes'), ref('int_as_of_date'), orders=ref('stg_shop__orders')
    ) }}
),

{% endif -%}
-- An incremental build's keys are the customers it recomputes: a customer
-- no customer or order row names any more gets a row of zeros.
customer_keys as (
    {% if is_incremental() %}
        select customer_id from customers_to_refresh
    {% else %}
        select distinct customer_id
        from {{ ref('int_customer_changes') }}
        where change_kind in ('customer', 'order')
    {% endif %}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
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

final as (
    select
        -- ids
        customer_keys.customer_id,
        customers.customer_id is not null as is_known_customer,

        -- dates
        customer_orders.first_order_date,
        customer_orders.last_order_date,

        -- measures
        cast(coalesce(customer_orders.frequency, 0) as integer) as frequency,
        cast(coalesce(customer_orders.monetary, 0) as decimal(18, 4)) as monetary,
        cast(coalesce(customer_refunds.refunded_amount, 0) as decimal(18, 4)) as refunded_amount,

        -- flags
        customer_orders.customer_id is not null as has_counted_order,

        {{ refresh_columns('as_of') }}
    from customer_keys
    left join customers
        on customer_keys.customer_id = customers.customer_id
    left join customer_orders
        on customer_keys.customer_id = customer_orders.customer_id
    left join customer_refunds
        on customer_keys.customer_id = customer_refunds.customer_id
)

select * from final
