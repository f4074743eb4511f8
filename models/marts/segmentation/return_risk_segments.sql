-- Return-risk segments of every purchasing customer (docs/definitions.md
-- §6 and §9): the return tier, the 0-100 return-risk score and, beside
-- it, each of its six signals and the patterns behind them, so an analyst can
-- see why a customer scores high.
with

return_metrics as (
    select * from {{ ref('int_customer_return_metrics') }}
    where counted_orders > 0
),

return_tiers as (
    select * from {{ ref('int_customer_return_tiers') }}
),

return_patterns as (
    select * from {{ ref('int_customer_return_patterns') }}
),

return_scores as (
    select * from {{ ref('int_customer_return_scores') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        -- ids
        return_metrics.customer_id,

        -- tier
        return_tiers.return_tier,
        return_scores.return_risk_score,
        return_tiers.is_new_customer,

        -- orders and returns
        return_metrics.counted_orders,
        return_metrics.returned_orders,
        return_metrics.return_rate,
        return_tiers.store_return_rate,
        return_metrics.total_returns,
        return_metrics.last_return_date,

        -- values
        return_metrics.ltv,
        return_metrics.avg_order_value,
        return_metrics.refunded_value,
        return_metrics.ordered_value,

        -- patterns
        return_patterns.is_bracketer,
        return_patterns.has_quick_returns,
        return_patterns.has_untracked_returns,
        return_patterns.has_rising_return_value,
        return_patterns.has_multi_category_returns,
        return_patterns.returned_categories,
        return_patterns.pattern_flags,

        -- signals
        return_scores.rate_signal,
        return_scores.recency_signal,
        return_scores.pattern_signal,
        return_scores.value_signal,
        return_scores.reason_signal,
        return_scores.tenure_signal,

        -- dates
        as_of.as_of_date
    from return_metrics
    inner join return_tiers
        on return_metrics.customer_id = return_tiers.customer_id
    inner join return_patterns
        on return_metrics.customer_id = return_patterns.customer_id
    inner join return_scores
        on return_metrics.customer_id = return_scores.customer_id
    cross join as_of
)

select * from final
