-- RFM scores and named segments of every purchasing customer (docs/definitions.md
-- §5), with the lifecycle stage and the at-risk flag.
with

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

rfm_scores as (
    select * from {{ ref('int_customer_rfm_scores') }}
),

at_risk_flags as (
    select * from {{ ref('int_customer_at_risk_flags') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

final as (
    select
        -- ids
        rfm_scores.customer_id,

        -- dates
        customer_order_metrics.first_order_date,
        customer_order_metrics.last_order_date,
        customer_order_metrics.recency_days,

        -- measures
        customer_order_metrics.frequency,
        customer_order_metrics.monetary,
        customer_order_metrics.net_monetary,

        -- scores and segment
        rfm_scores.r_score,
        rfm_scores.f_score,
        rfm_scores.m_score,
        cast(rfm_scores.r_score as {{ dbt.type_string() }})
        || cast(rfm_scores.f_score as {{ dbt.type_string() }})
        || cast(rfm_scores.m_score as {{ dbt.type_string() }}) as rfm_cell,
        segment_map.rfm_segment,
        segment_map.segment_priority,
        segment_map.recommended_action,
        {{ lifecycle_stage('customer_order_metrics.recency_days') }} as lifecycle_stage,

        -- flags
        at_risk_flags.is_at_risk,
        customer_order_metrics.as_of_date
    from rfm_scores
    inner join customer_order_metrics
        on rfm_scores.customer_id = customer_order_metrics.customer_id
    inner join at_risk_flags
        on rfm_scores.customer_id = at_risk_flags.customer_id
    left join segment_map
        on
            rfm_scores.r_score between segment_map.r_score_min and segment_map.r_score_max
            and rfm_scores.f_score between segment_map.f_score_min and segment_map.f_score_max
            and rfm_scores.m_score between coalesce(segment_map.m_score_min, 1)
            and coalesce(segment_map.m_score_max, 5)
)

select * from final
