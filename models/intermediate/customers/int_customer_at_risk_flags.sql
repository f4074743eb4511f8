-- Which purchasing customers are at risk (docs/definitions.md §4):
-- more days since the last counted order than the recency threshold, and no
-- more counted orders than the frequency threshold. Strictly above on
-- recency, at or below on frequency.
with

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

thresholds as (
    select * from {{ ref('int_segment_thresholds') }}
),

final as (
    select
        customer_order_metrics.customer_id,
        customer_order_metrics.recency_days,
        customer_order_metrics.frequency,
        thresholds.at_risk_recency_threshold_days as recency_threshold_days,
        thresholds.at_risk_frequency_threshold as frequency_threshold,
        coalesce(
            customer_order_metrics.recency_days > thresholds.at_risk_recency_threshold_days
            and customer_order_metrics.frequency <= thresholds.at_risk_frequency_threshold,
            false
        ) as is_at_risk
    from customer_order_metrics
    cross join thresholds
    where customer_order_metrics.has_counted_order
)

select * from final
