-- Customers showing signs of disengagement (docs/definitions.md §4):
-- one row per at-risk customer, with the columns of the at-risk write-up's query
-- (docs/definitions.md §12) and
-- the thresholds that put them here.
with

at_risk_flags as (
    select * from {{ ref('int_customer_at_risk_flags') }}
),

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

final as (
    select
        -- ids
        at_risk_flags.customer_id,

        -- the at-risk write-up's columns
        customer_order_metrics.last_order_date as date_of_last_purchase,
        customer_order_metrics.frequency as total_number_of_orders,
        customers.age,
        customers.gender,
        customers.location,
        customer_order_metrics.net_monetary as total_spent_ltv,

        -- why the customer is at risk
        customer_order_metrics.recency_days,
        at_risk_flags.recency_threshold_days,
        at_risk_flags.frequency_threshold,
        customer_order_metrics.monetary,
        customer_order_metrics.first_order_date,
        customer_order_metrics.as_of_date
    from at_risk_flags
    inner join customer_order_metrics
        on at_risk_flags.customer_id = customer_order_metrics.customer_id
    left join customers
        on at_risk_flags.customer_id = customers.customer_id
    where at_risk_flags.is_at_risk
)

select * from final
