-- One row per customer (docs/definitions.md §7): every segment
-- dimension side by side - RFM segment, lifecycle stage, at-risk flag, churn
-- risk, return tier and score, value tier - and the risk x value quadrant with
-- its playbook. Churn risk and return risk stay separate columns. Customers
-- without a counted order are here too, with no segment. No raw email or
-- name: only a SHA-256 of the normalised email, for matching campaign lists.
with

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

rfm_segments as (
    select * from {{ ref('rfm_segments') }}
),

return_risk_segments as (
    select * from {{ ref('return_risk_segments') }}
),

thresholds as (
    select * from {{ ref('int_segment_thresholds') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

quadrants as (
    select * from {{ ref('risk_value_quadrants') }}
),

repurchase as (
    select * from {{ ref('int_repurchase_predictions') }}
    where scored_snapshot = 's0'
),

-- Whether the history reaches back a window before the as-of date: the
-- probability is learned there, or not given.
repurchase_training as (
    select count(*) as training_customers
    from {{ ref('int_repurchase_snapshots') }}
    where snapshot_name = 's1'
),

-- Churn risk is high for an at-risk customer or a segment the map marks high;
-- value is high from the value-tier percentile of monetary.
risk_and_value as (
    select
        rfm_segments.customer_id,
        case
            when rfm_segments.is_at_risk or segment_map.churn_risk = 'high' then 'high'
            else 'low'
        end as churn_risk,
        case
            when cast(rfm_segments.monetary as {{ type_double() }}) >= thresholds.value_tier_monetary_threshold
                then 'high'
            else 'low'
        end as value_tier
    from rfm_segments
    inner join segment_map
        on rfm_segments.rfm_segment = segment_map.rfm_segment
    cross join thresholds
),

final as (
    select
        -- ids
        customer_order_metrics.customer_id,
        {{ sha256_hex('customers.email') }} as email_sha256,

        -- attributes
        customers.age,
        customers.gender,
        customers.location,
        customer_order_metrics.has_counted_order as is_purchaser,

        -- orders
        rfm_segments.first_order_date,
        rfm_segments.last_order_date,
        rfm_segments.recency_days,
        customer_order_metrics.frequency,
        customer_order_metrics.monetary,
        customer_order_metrics.net_monetary as ltv,

        -- churn
        rfm_segments.r_score,
        rfm_segments.f_score,
        rfm_segments.m_score,
        rfm_segments.rfm_segment,
        rfm_segments.lifecycle_stage,
        coalesce(rfm_segments.is_at_risk, false) as is_at_risk,
        risk_and_value.churn_risk,

        -- returns
        return_risk_segments.return_tier,
        return_risk_segments.return_risk_score,

        -- value and the risk x value matrix
        risk_and_value.value_tier,
        quadrants.risk_value_quadrant,
        quadrants.playbook,

        -- repurchase probability
        repurchase.repurchase_probability,
        case
            when customer_order_metrics.frequency = 0 then 'no_counted_order'
            when repurchase_training.training_customers = 0 then 'no_history_a_window_before_as_of_date'
        end as repurchase_probability_null_reason,

        -- dates
        customer_order_metrics.as_of_date
    from customer_order_metrics
    left join customers
        on customer_order_metrics.customer_id = customers.customer_id
    left join rfm_segments
        on customer_order_metrics.customer_id = rfm_segments.customer_id
    left join return_risk_segments
        on customer_order_metrics.customer_id = return_risk_segments.customer_id
    left join risk_and_value
        on customer_order_metrics.customer_id = risk_and_value.customer_id
    left join quadrants
        on
            risk_and_value.value_tier = quadrants.value_tier
            and risk_and_value.churn_risk = quadrants.churn_risk
    left join repurchase
        on customer_order_metrics.customer_id = repurchase.customer_id
    cross join repurchase_training
)

select * from final
